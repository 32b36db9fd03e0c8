import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { constant } from './constant.js';

const row = { get: () => null };
/** The columns as src/engines/mysql/column-types.ts describes them. */
const MYSQL: Record<string, Partial<ColumnInfo>> = {
  'tinyint(1)': { baseType: 'bool' },
  "set('a','b','c')": { baseType: 'set', enumValues: ['a', 'b', 'c'] },
};
const build = (value: unknown, type: string) =>
  constant.create(constant.options.parse({ value }), { column: { schema: 'db', table: 't', name: 'c', type, baseType: type, ...MYSQL[type] }, salt: Buffer.from('s') });

describe('constant on MySQL types', () => {
  it('writes a MySQL BOOLEAN (tinyint(1)) as the number MySQL stores', () => {
    expect(build(true, 'tinyint(1)')('0', row)).toBe('1');
    expect(build('false', 'tinyint(1)')('1', row)).toBe('0');
    expect(build(5, 'tinyint(1)')('1', row)).toBe('5');
    expect(() => build('t', 'tinyint(1)')).toThrow(/not a valid tinyint\(1\)/);
    expect(() => build(300, 'tinyint(1)')).toThrow(/not a valid tinyint\(1\)/);
  });

  it('takes a list of members on a SET, and the empty set', () => {
    expect(build('a,b', "set('a','b','c')")('c', row)).toBe('a,b');
    expect(build('', "set('a','b','c')")('c', row)).toBe('');
    expect(() => build('a,d', "set('a','b','c')")).toThrow(/not a list of members of the set/);
  });
});
