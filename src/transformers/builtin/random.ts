import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { fitLength, integerRange, isEmptyText, isTextColumn } from '../column-types.js';
import { KeyedPermutation } from '../keyed-permutation.js';
import { fitNumber, numberRangeOf } from '../number-range.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';
import { appendSuffix, refuseTooShortForUnique, uniqueSuffix } from '../unique-suffix.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The original's `random`, made safe for its column: integers stay inside the column's range (the
 * original drew from the whole i128 range and overflowed int4) through a keyed permutation of that
 * range, so distinct integers stay distinct; text keeps its length and fits the declared one (a unique
 * text column gets a keyed suffix); an enum gets one of its members. Deterministic unless `deterministic: false`.
 */
export const random = defineTransformer({
  name: 'random',
  description:
    'Random value of the same shape: alphanumeric text of the same length (spaces kept; `symbols` to draw from other characters, `min_length`/`max_length` for a length drawn in that range instead), an integer within the column range (distinct stays distinct), a float in [0,1), a member of an enum.',
  options: z
    .strictObject({
      deterministic: z.boolean().default(true),
      // Greenmask's RandomString: text from these characters, of a length in min_length..max_length.
      symbols: z.string().min(1).optional(),
      min_length: z.number().int().min(1).optional(),
      max_length: z.number().int().min(1).max(10_000).optional(),
    })
    .refine((o) => o.min_length === undefined || o.max_length !== undefined, { message: '`min_length` needs `max_length`', path: ['min_length'] })
    .refine((o) => o.min_length === undefined || o.max_length === undefined || o.min_length <= o.max_length, { message: '`min_length` is above `max_length`', path: ['min_length'] }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'text, varchar(n), char(n), smallint, integer, bigint, numeric, real, double precision, enums',
  refuses: (column) => {
    const isFloat = ['float4', 'float8', 'numeric'].includes(column.baseType);
    if (isTextColumn(column)) return refuseTooShortForUnique(column);
    if (integerRange(column)) return undefined;
    if (isFloat) return column.unique ? 'random floats may repeat in a unique column' : undefined;
    if (column.enumValues) return column.unique ? 'an enum cannot hold more distinct values than it has members' : undefined;
    return `it cannot produce a ${column.type}`;
  },
  examples: [{ input: 'hello world' }, { input: '42', column: { type: 'integer', baseType: 'int4' } }, { input: 'AB-1234', options: { symbols: '0123456789ABCDEF', min_length: 8, max_length: 12 } }],
  create: (options, { column, salt }) => {
    const shapesText = options.symbols !== undefined || options.max_length !== undefined;
    if (shapesText && !isTextColumn(column)) throw new ReplibyteError(`symbols, min_length and max_length shape text, and ${column.name} is ${column.type}`);
    const symbols = [...(options.symbols ?? ALPHANUMERIC)];
    const range = integerRange(column);
    const permutation = range ? new KeyedPermutation(salt, 'random', range) : undefined;
    const isFloat = ['float4', 'float8', 'numeric'].includes(column.baseType);
    const bounds = numberRangeOf(column);
    return (value) => {
      if (value === null) return null;
      if (permutation && range) {
        return options.deterministic ? permutation.apply(BigInt(value)).toString() : RandomSource.fresh().bigintBetween(range[0], range[1]).toString();
      }
      const source = options.deterministic ? RandomSource.seeded(salt, 'random', value) : RandomSource.fresh();
      // numeric(2,2) rounds 0.996 to 1.00, which it cannot hold: clamped to 0.99.
      if (isFloat) return bounds ? fitNumber(source.next().toFixed(6), bounds) : source.next().toFixed(6);
      if (column.enumValues && column.baseType === 'set') return randomSet(value, column.enumValues, source);
      if (column.enumValues) return column.enumValues[source.intBelow(column.enumValues.length)] ?? value;
      // Empty stays empty, on a unique column too: no other value's output is empty, so it stays unique.
      if (isEmptyText(value, column)) return value;
      let out = '';
      if (options.max_length !== undefined) {
        const low = options.min_length ?? 1;
        const length = low + source.intBelow(options.max_length - low + 1);
        for (let i = 0; i < length; i += 1) out += symbols[source.intBelow(symbols.length)];
      } else {
        for (const character of value) out += character === ' ' ? ' ' : symbols[source.intBelow(symbols.length)];
      }
      if (column.unique) return appendSuffix(out, uniqueSuffix(salt, value, { deterministic: options.deterministic }), column);
      return fitLength(out, column);
    };
  },
});

/** A MySQL SET value is a comma-separated list of members: as many distinct members as it had, in declared order. */
function randomSet(value: string, members: string[], source: RandomSource): string {
  if (value === '') return value;
  const count = Math.min(value.split(',').length, members.length);
  const pool = members.map((_, index) => index);
  const chosen: number[] = [];
  for (let left = count; left > 0; left -= 1) chosen.push(pool.splice(source.intBelow(pool.length), 1)[0]!);
  return chosen.sort((a, b) => a - b).map((index) => members[index]).join(',');
}
