import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { integerRange, isEmptyText, isTextColumn } from '../column-types.js';
import { formatUnits, numberRangeOf, unitsOf } from '../number-range.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

const NUMBER_TYPES = new Set(['int1', 'int2', 'int3', 'int4', 'int8', 'uint1', 'uint2', 'uint3', 'uint4', 'uint8', 'numeric', 'float4', 'float8']);

/**
 * A number drawn between `min` and `max` (Greenmask's RandomInt/RandomFloat, PostgreSQL Anonymizer's
 * random_int_between): deterministic from the input by default, so the same salary gives the same fake.
 */
export const randomNumber = defineTransformer({
  name: 'random-number',
  description:
    'A number between `min` and `max` (inclusive), with `decimals` digits after the point (default 0), drawn from the input: the same input gives the same number (`deterministic: false`: a fresh one per row). Empty text stays empty. An integer or numeric(p,s) column refuses bounds outside its type.',
  options: z
    .strictObject({ min: z.number(), max: z.number(), decimals: z.number().int().min(0).max(12).default(0), deterministic: z.boolean().default(true), keep_null: z.boolean().default(true) })
    .refine((o) => o.min <= o.max, '`min` is above `max`'),
  deterministic: true,
  accepts: 'integers, numeric, float, text',
  refuses: (column) => (NUMBER_TYPES.has(column.baseType) || isTextColumn(column) ? undefined : `it writes numbers, and ${column.name} is ${column.type}`),
  examples: [
    { input: '52000', options: { min: 30000, max: 90000 }, column: { type: 'integer', baseType: 'int4' } },
    { input: '4.5', options: { min: 1, max: 5, decimals: 1 }, column: { type: 'numeric(2,1)', baseType: 'numeric' } },
  ],
  create: (options, { column, salt }) => {
    const range = integerRange(column);
    if (range && options.decimals > 0) throw new ReplibyteError(`${column.type} holds no decimals: use decimals: 0`);
    if (range && (BigInt(Math.ceil(options.min)) < range[0] || BigInt(Math.floor(options.max)) > range[1])) {
      throw new ReplibyteError(`min..max (${options.min}..${options.max}) goes beyond ${column.type} (${range[0]}..${range[1]})`);
    }
    // The bounds as the column rounds them (99.95 is 100.0 in numeric(3,1)): draws between them round within.
    const bounds = range ? undefined : numberRangeOf(column);
    if (bounds) {
      const outside = [options.min, options.max].some((n) => {
        const units = unitsOf(String(n), bounds.scale);
        return units === undefined || units < bounds.min || units > bounds.max;
      });
      if (outside) throw new ReplibyteError(`min..max (${options.min}..${options.max}) goes beyond ${column.type} (${formatUnits(bounds.min, bounds.scale)}..${formatUnits(bounds.max, bounds.scale)})`);
    }
    const scale = 10 ** options.decimals;
    const low = Math.ceil(options.min * scale);
    const count = Math.floor(options.max * scale) - low + 1;
    if (count < 1) throw new ReplibyteError(`no number with ${options.decimals} decimals lies between ${options.min} and ${options.max}`);
    const fresh = RandomSource.fresh();
    return (value) => {
      if (value === null && options.keep_null) return null;
      if (value !== null && isEmptyText(value, column) && isTextColumn(column)) return value;
      const random = options.deterministic ? RandomSource.seeded(salt, 'random-number', value ?? '\u0000NULL') : fresh;
      // Two 32-bit draws: uniform enough for ranges far beyond 2^32 steps.
      const draw = Math.floor((random.nextUint32() * 2 ** 32 + random.nextUint32()) / 2 ** 64 * count);
      return ((low + Math.min(draw, count - 1)) / scale).toFixed(options.decimals);
    };
  },
});
