import { z } from 'zod';
import { isEmptyText, isTextColumn } from '../column-types.js';
import { ReplibyteError } from '../../errors.js';
import { DATE_TYPES, DAY_MS, formatIsoDate, timeRangeOf } from '../date-text.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/**
 * The original's `random-date` (documented there, but it crashed when used): a date between `from` and
 * `to`. Date columns get a date, timestamps a timestamp (timestamptz in UTC), text an ISO date.
 */
export const randomDate = defineTransformer({
  name: 'random-date',
  description: 'A date (or timestamp) between `from` and `to` (default 1970-01-01 .. 2025-12-31), derived from the value. Empty text stays empty.',
  options: z
    .strictObject({ from: isoDay.default('1970-01-01'), to: isoDay.default('2025-12-31'), deterministic: z.boolean().default(true) })
    .refine((o) => o.from <= o.to, { message: '`from` must not be after `to`', path: ['from'] }),
  deterministic: true,
  accepts: 'date, timestamp, timestamptz, text, varchar(n ≥ 10)',
  refuses: (column) =>
    DATE_TYPES.includes(column.baseType) || (isTextColumn(column) && (column.maxLength ?? 10) >= 10) ? undefined : `it writes dates, and ${column.name} is ${column.type}`,
  examples: [{ input: '1984-06-15', column: { type: 'date', baseType: 'date' } }],
  create: (options, { column, salt }) => {
    // Within what the type holds too (MySQL's TIMESTAMP: 1970-01-01 00:00:01 .. 2038-01-19 03:14:07).
    const [least, most] = timeRangeOf(column);
    const from = Math.max(least, Date.parse(`${options.from}T00:00:00Z`));
    const to = Math.min(most, Date.parse(`${options.to}T00:00:00Z`) + DAY_MS - 1000);
    if (from > to) throw new ReplibyteError(`${options.from} .. ${options.to} holds no value of ${column.type} (${column.timeRange?.join(' .. ') ?? ''})`);
    const hasTime = column.baseType === 'timestamp' || column.baseType === 'timestamptz';
    const shape = { fraction: '', separator: hasTime ? ' ' : undefined, hasTime, offset: column.baseType === 'timestamptz' ? '+00' : '', ms: 0 };
    return (value) => {
      if (value === null || (isTextColumn(column) && isEmptyText(value, column))) return value;
      const source = options.deterministic ? RandomSource.seeded(salt, 'random-date', value) : RandomSource.fresh();
      const seconds = source.intBelow(Math.floor((to - from) / 1000) + 1);
      return formatIsoDate(shape, from + seconds * 1000);
    };
  },
});
