import { describe, expect, it } from 'vitest';
import { parseFieldPath, readAtPath, rewriteAtPath } from './field-path.js';

const upper = (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : value);

describe('field paths', () => {
  const document = () => ({
    profile: { email: 'a@b.c', address: { zip: '75001' } },
    contacts: [{ phone: 'p1' }, { phone: 'p2', other: 1 }, { kind: 'none' }],
    tags: ['x', 'y'],
    grid: [['a'], ['b', 'c']],
  });

  it('reaches nested fields, every array element ($ and $[]), indexes, and arrays met by a named segment', () => {
    const cases: Array<[string, number]> = [
      ['profile.email', 1],
      ['profile.address.zip', 1],
      ['contacts.$.phone', 2],
      ['contacts.$[].phone', 2],
      ['contacts.phone', 2],
      ['contacts.1.phone', 1],
      ['tags.$', 2],
      ['grid.$.$', 3],
      ['profile.nope', 0],
      ['tags.5', 0],
    ];
    for (const [path, expected] of cases) {
      const doc = document();
      expect([path, rewriteAtPath(doc, parseFieldPath(path), upper)]).toEqual([path, expected]);
    }
    const doc = document();
    rewriteAtPath(doc, parseFieldPath('contacts.$.phone'), upper);
    expect(doc.contacts).toEqual([{ phone: 'P1' }, { phone: 'P2', other: 1 }, { kind: 'none' }]);
    expect(readAtPath(doc, parseFieldPath('contacts.phone'))).toBe('P1');
  });

  it('refuses empty paths and segments', () => {
    expect(() => parseFieldPath('')).toThrow(/empty/);
    expect(() => parseFieldPath('a..b')).toThrow(/empty segment/);
  });
});
