import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { redacted } from './redacted.js';

const row = { get: () => null };
const make = (column: Partial<ColumnInfo> = {}) =>
  redacted.create(redacted.options.parse({}), { column: { schema: 'public', table: 't', name: 'c', type: 'text', baseType: 'text', ...column }, salt: Buffer.from('salt') });

describe('redacted', () => {
  it('replaces a value of 3 characters or fewer whole: a 2-letter value is still personal', () => {
    const text = make();
    expect(text('Al', row)).toBe('**********');
    expect(text('Bob', row)).toBe('**********');
    expect(text('Anna', row)).toBe('A**********');
    expect(text('Margaret', row)).toBe('Mar**********');
  });

  it('counts characters (code points), so non-ASCII text is redacted too, within char(n)', () => {
    const char10 = make({ type: 'character(10)', baseType: 'bpchar', maxLength: 10 });
    expect(char10('漢字😀', row)).toBe('**********');
    expect(char10('漢字😀       ', row)).toBe('**********');
    expect(char10('漢字😀漢字😀', row)).toBe('漢字😀*******');
  });

  it('keeps an empty value, and a blank-padded one in char(n), as it is', () => {
    expect(make()('', row)).toBe('');
    expect(make({ type: 'character(4)', baseType: 'bpchar', maxLength: 4 })('    ', row)).toBe('    ');
  });
});
