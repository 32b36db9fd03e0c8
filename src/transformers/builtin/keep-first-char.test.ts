import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { keepFirstChar } from './keep-first-char.js';

const row = { get: () => null };
const make = (column: Partial<ColumnInfo>) =>
  keepFirstChar.create({}, { column: { schema: 'public', table: 't', name: 'c', type: 'integer', baseType: 'int4', ...column }, salt: Buffer.from('salt') });

describe('keep-first-char', () => {
  it('transforms a negative number like a positive one, keeping its sign', () => {
    const int4 = make({});
    expect(int4('4096', row)).toBe('4');
    expect(int4('-4096', row)).toBe('-4');
    expect(int4('-42', row)).toBe('-4');
    expect(int4('-5', row)).toBe('-5');
    expect(make({ type: 'numeric(6,2)', baseType: 'numeric' })('-42.50', row)).toBe('-4');
  });
});
