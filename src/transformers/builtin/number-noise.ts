import { z } from 'zod';
import { integerRange } from '../column-types.js';
import { decimalOf, fitNumber, numberRangeOf } from '../number-range.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

const NON_INTEGER_TYPES = ['numeric', 'float4', 'float8'];

/**
 * Adds relative noise (±`ratio`) to a number: sums and averages stay close, single values are hidden.
 * Integers stay integers within their column's range; numeric(p, s) keeps its scale and precision.
 */
export const numberNoise = defineTransformer({
  name: 'number-noise',
  description: 'Multiplies a number by a stable random factor in [1 - ratio, 1 + ratio] (default ratio 0.1); integers stay in range, numeric(p,s) keeps its scale and is clamped into its precision (MySQL UNSIGNED: no negatives), floats stay finite.',
  options: z.strictObject({ ratio: z.number().positive().max(10).default(0.1), deterministic: z.boolean().default(true) }),
  deterministic: true,
  accepts: 'smallint, integer, bigint (MySQL: tinyint, mediumint, unsigned too), numeric(p,s), real, double precision',
  refuses: (column) => (integerRange(column) || NON_INTEGER_TYPES.includes(column.baseType) ? undefined : `it adds noise to numbers, and ${column.name} is ${column.type}`),
  examples: [
    { input: '1250', column: { type: 'integer', baseType: 'int4' } },
    { input: '99.95', options: { ratio: 0.5 }, column: { type: 'numeric(6,2)', baseType: 'numeric' } },
  ],
  create: (options, { column, salt }) => {
    const range = integerRange(column);
    // numeric(p,s) / decimal(p,s) [unsigned], through domains: outputs are clamped into it (number-range.ts).
    const decimal = decimalOf(column);
    const bounds = numberRangeOf(column);
    return (value) => {
      if (value === null || !/^-?\d/.test(value)) return value; // NULL, NaN, Infinity
      const source = options.deterministic ? RandomSource.seeded(salt, 'number-noise', value) : RandomSource.fresh();
      const factor = 1 + (source.next() * 2 - 1) * options.ratio;
      if (range) {
        const noisy = BigInt(Math.round(Number(value) * factor));
        return (noisy < range[0] ? range[0] : noisy > range[1] ? range[1] : noisy).toString();
      }
      const noisy = Number(value) * factor;
      if (column.baseType !== 'numeric') return floatText(noisy, column.baseType === 'float4');
      const decimals = decimal ? Math.max(0, decimal.scale) : (value.split('.')[1]?.length ?? 0);
      const text = noisy.toFixed(decimals);
      return bounds ? fitNumber(text, bounds) : text;
    };
  },
});

/** A float's noisy value, kept finite: past the type's largest value it is that value (MySQL refuses Infinity). */
function floatText(noisy: number, single: boolean): string {
  const max = single ? FLOAT4_MAX : Number.MAX_VALUE;
  const value = single ? Math.fround(noisy) : noisy;
  return String(Number.isFinite(value) ? value : Math.sign(noisy) * max);
}

const FLOAT4_MAX = 3.4028234663852886e38;
