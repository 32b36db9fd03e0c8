import { z } from 'zod';
import { DATE_TYPES, DAY_MS, formatIsoDate, parseIsoDate } from '../date-text.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer } from '../transformer.js';

/**
 * Moves a date or timestamp by a stable random amount within ±`max_days` (never less than `min_days`):
 * the same value always moves by the same amount, so equal dates stay equal across tables.
 * `infinity`, `-infinity` and BC dates are left as they are.
 */
export const dateShift = defineTransformer({
  name: 'date-shift',
  description: 'Moves a date/timestamp by a stable random amount between `min_days` and `max_days` (default 1..30), earlier or later; dates move by whole days, timestamps by seconds.',
  options: z
    .strictObject({ min_days: z.number().int().min(0).default(1), max_days: z.number().int().min(1).max(36_500).default(30), deterministic: z.boolean().default(true) })
    .refine((o) => o.min_days <= o.max_days, { message: 'min_days must not exceed max_days', path: ['min_days'] }),
  deterministic: true,
  accepts: 'date, timestamp, timestamptz',
  refuses: (column) => (DATE_TYPES.includes(column.baseType) ? undefined : `it shifts dates, and ${column.name} is ${column.type}`),
  examples: [
    { input: '1984-06-15', column: { type: 'date', baseType: 'date' } },
    { input: '2024-03-01 12:30:00.25+01', options: { max_days: 7 }, column: { type: 'timestamp with time zone', baseType: 'timestamptz' } },
  ],
  create: (options, { column, salt }) => {
    const unit = column.baseType === 'date' ? DAY_MS : 1000;
    const min = (options.min_days * DAY_MS) / unit;
    const max = (options.max_days * DAY_MS) / unit;
    return (value) => {
      if (value === null) return null;
      const parsed = parseIsoDate(value);
      if (!parsed) return value; // infinity, -infinity, BC dates
      const source = options.deterministic ? RandomSource.seeded(salt, 'date-shift', value) : RandomSource.fresh();
      const magnitude = min + source.intBelow(max - min + 1);
      const sign = source.next() < 0.5 ? -1 : 1;
      const shifted = parsed.ms + sign * magnitude * unit;
      // Near year 1 or 9999 a shift could leave the 4-digit years a column holds: move the other way.
      const year = new Date(shifted).getUTCFullYear();
      return formatIsoDate(parsed, year < 1 || year > 9999 ? parsed.ms - sign * magnitude * unit : shifted);
    };
  },
});
