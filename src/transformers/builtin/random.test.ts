import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { random } from './random.js';

const row = { get: () => null };
const make = (column: Partial<ColumnInfo>, deterministic = true) =>
  random.create({ deterministic }, { column: { schema: 'public', table: 't', name: 'c', type: 'text', baseType: 'text', ...column }, salt: Buffer.from('salt') });

describe('random', () => {
  it('maps the whole smallint range onto itself: every output in range, no two alike', () => {
    const apply = make({ type: 'smallint', baseType: 'int2', unique: true });
    const outputs = new Set<string>();
    for (let n = -32768; n <= 32767; n += 1) outputs.add(apply(String(n), row)!);
    expect(outputs.size).toBe(65536);
    for (const out of outputs) expect(Number(out)).toBeGreaterThanOrEqual(-32768);
    for (const out of outputs) expect(Number(out)).toBeLessThanOrEqual(32767);
  });

  it('keeps integer and bigint values in their range (the original overflowed int4)', () => {
    const int4 = make({ type: 'integer', baseType: 'int4' });
    const int8 = make({ type: 'bigint', baseType: 'int8' });
    for (const value of ['0', '-2147483648', '2147483647', '17']) {
      const out = BigInt(int4(value, row)!);
      expect(out >= -2147483648n && out <= 2147483647n).toBe(true);
    }
    expect(BigInt(int8('9223372036854775807', row)!) <= 9223372036854775807n).toBe(true);
  });

  it('keeps the length of text, within the declared one; a unique text column gets a keyed suffix', () => {
    expect(make({})('hello world', row)).toMatch(/^[A-Za-z0-9]{5} [A-Za-z0-9]{5}$/);
    expect(make({ type: 'character varying(4)', baseType: 'varchar', maxLength: 4 })('hello', row)).toHaveLength(4);
    const unique = make({ type: 'character varying(20)', baseType: 'varchar', maxLength: 20, unique: true });
    const outputs = new Set(Array.from({ length: 20_000 }, (_, i) => unique(String(i % 100).padStart(2, '0') + String(i), row)));
    expect(outputs.size).toBe(20_000);
    for (const out of outputs) expect(out!.length).toBeLessThanOrEqual(20);
  });

  it("keeps '' as '' on a unique text column (no other value's output is empty)", () => {
    expect(make({ type: 'character varying(20)', baseType: 'varchar', maxLength: 20, unique: true })('', row)).toBe('');
  });

  it('gives a MySQL SET value a valid set of distinct members, as many as it had', () => {
    const set = make({ type: "set('a','b','c')", baseType: 'set', enumValues: ['a', 'b', 'c'] });
    for (const value of ['a,b', 'a,c', 'b,c', 'a,b,c', 'b']) {
      const members = set(value, row)!.split(',');
      expect(members).toHaveLength(value.split(',').length);
      expect(new Set(members).size).toBe(members.length);
      for (const member of members) expect(['a', 'b', 'c']).toContain(member);
    }
    expect(set('', row)).toBe('');
  });

  it('picks an enum member; is random, not deterministic, when asked', () => {
    expect(['a', 'b']).toContain(make({ type: 'e', baseType: 'e', enumValues: ['a', 'b'] })('a', row));
    const fresh = make({}, false);
    const outputs = new Set(Array.from({ length: 20 }, () => fresh('same value', row)));
    expect(outputs.size).toBeGreaterThan(1);
  });

  it('refuses types it cannot produce', () => {
    const column = { schema: 'public', table: 't', name: 'c' };
    expect(random.refuses!({ ...column, type: 'boolean', baseType: 'bool' })).toMatch(/cannot produce a boolean/);
    expect(random.refuses!({ ...column, type: 'text[]', baseType: '_text' })).toMatch(/cannot produce/);
  });

  it('draws text from `symbols`, of a length in min_length..max_length when asked (Greenmask\'s RandomString)', () => {
    const column: ColumnInfo = { schema: 'public', table: 't', name: 'c', type: 'character varying(10)', baseType: 'varchar', maxLength: 10 };
    const hex = random.create(random.options.parse({ symbols: '0123456789abcdef' }), { column, salt: Buffer.from('salt') });
    expect(hex('ab cd', row)).toMatch(/^[0-9a-f]{2} [0-9a-f]{2}$/);
    const ranged = random.create(random.options.parse({ symbols: 'XY', min_length: 3, max_length: 12 }), { column, salt: Buffer.from('salt') });
    const lengths = new Set<number>();
    for (let i = 0; i < 300; i += 1) {
      const out = ranged(`value ${i}`, row)!;
      expect(out).toMatch(/^[XY]{3,10}$/);
      lengths.add(out.length);
    }
    // Lengths drawn in 3..12, cut to the column's 10.
    expect([...lengths].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(random.options.safeParse({ min_length: 3 }).success).toBe(false);
    expect(random.options.safeParse({ min_length: 5, max_length: 4 }).success).toBe(false);
    expect(() => random.create(random.options.parse({ symbols: 'ab' }), { column: { ...column, type: 'integer', baseType: 'int4' }, salt: Buffer.from('salt') })).toThrow(/shape text, and c is integer/);
  });
});
