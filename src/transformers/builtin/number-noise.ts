import { z } from 'zod';
import { integerRange } from '../column-types.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

const NON_INTEGER_TYPES = ['numeric', 'float4', 'float8'];

/**
 * Adds relative noise (±`ratio`) to a number: sums and averages stay close, single values are hidden.
 * Integers stay integers within their column's range; numeric(p, s) keeps its scale and precision.
 */
export const numberNoise = defineTransformer({
  name: 'number-noise',
  description: 'Multiplies a number by a stable random factor in [1 - ratio, 1 + ratio] (default ratio 0.1); integers stay in range, numeric(p,s) keeps its precision and scale.',
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
    const typmod = /(?:numeric|decimal)\((\d+)(?:,\s*(\d+))?\)/i.exec(column.type); // MySQL writes decimal(p,s)
    const precision = typmod ? Number(typmod[1]) : undefined;
    const scale = typmod ? Number(typmod[2] ?? 0) : undefined;
    return (value) => {
      if (value === null || !/^-?\d/.test(value)) return value; // NULL, NaN, Infinity
      const source = options.deterministic ? RandomSource.seeded(salt, 'number-noise', value) : RandomSource.fresh();
      const factor = 1 + (source.next() * 2 - 1) * options.ratio;
      if (range) {
        const noisy = BigInt(Math.round(Number(value) * factor));
        return (noisy < range[0] ? range[0] : noisy > range[1] ? range[1] : noisy).toString();
      }
      let noisy = Number(value) * factor;
      if (column.baseType !== 'numeric') return String(column.baseType === 'float4' ? Math.fround(noisy) : noisy);
      const decimals = scale ?? (value.split('.')[1]?.length ?? 0);
      if (precision !== undefined) {
        const limit = 10 ** (precision - decimals) - 10 ** -decimals;
        noisy = Math.max(-limit, Math.min(limit, noisy));
      }
      return noisy.toFixed(decimals);
    };
  },
});
