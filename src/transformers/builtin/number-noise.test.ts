import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { numberNoise } from './number-noise.js';

const row = { get: () => null };
const make = (column: Partial<ColumnInfo>) =>
  numberNoise.create(numberNoise.options.parse({ ratio: 0.5 }), { column: { schema: 'public', table: 't', name: 'c', type: 'integer', baseType: 'int4', ...column }, salt: Buffer.from('salt') });

describe('number-noise', () => {
  it('transforms negative numbers like positive ones, keeping the sign, within a MySQL decimal(p,s)', () => {
    const decimal = make({ type: 'decimal(5,2)', baseType: 'numeric' });
    for (const value of ['-999.99', '-420.00', '999.99', '-42.00']) {
      const out = decimal(value, row)!;
      expect(out).toMatch(/^-?\d{1,3}\.\d{2}$/);
      expect(Math.sign(Number(out))).toBe(Math.sign(Number(value)));
    }
    expect(decimal('-420.00', row)).not.toBe('-420.00');
    const out = make({})('-42', row)!;
    expect(Number(out)).toBeLessThan(0);
    expect(out).not.toBe('-42');
  });
});
