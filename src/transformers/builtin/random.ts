import { z } from 'zod';
import { fitLength, integerRange } from '../column-types.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The original's `random`, made safe for its column: integers stay inside the column's range (the
 * original drew from the whole i128 range and overflowed int4), text keeps its length and fits the
 * declared one. Deterministic unless `deterministic: false`.
 */
export const random = defineTransformer({
  name: 'random',
  description: 'Random value of the same shape: alphanumeric text of the same length, an integer within the column range, a float in [0,1).',
  options: z.strictObject({ deterministic: z.boolean().default(true) }),
  deterministic: true,
  refuses: (column) =>
    ['bool', 'json', 'jsonb', 'bytea', 'uuid', 'date', 'timestamp', 'timestamptz', 'time', 'year', 'bit', 'geometry'].includes(column.baseType) ||
    column.baseType.startsWith('_')
      ? `it cannot produce a ${column.type}`
      : undefined,
  examples: [{ input: 'hello world' }, { input: '42' }],
  create: (options, { column, salt }) => {
    const range = integerRange(column);
    const isFloat = ['float4', 'float8', 'numeric'].includes(column.baseType);
    return (value) => {
      if (value === null) return null;
      const source = options.deterministic ? RandomSource.seeded(salt, 'random', value) : RandomSource.fresh();
      if (range) return source.bigintBetween(range[0], range[1]).toString();
      // An ENUM or SET column (MySQL) takes only its members.
      if (column.enumValues && column.enumValues.length > 0) return column.enumValues[source.intBelow(column.enumValues.length)]!;
      if (isFloat) return source.next().toFixed(6);
      let out = '';
      for (const character of value) out += character === ' ' ? ' ' : ALPHANUMERIC[source.intBelow(ALPHANUMERIC.length)];
      return fitLength(out, column);
    };
  },
});
