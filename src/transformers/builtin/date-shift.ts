import { z } from 'zod';
import { DATE_TYPES, DAY_MS, formatIsoDate, parseIsoDate, timeRangeOf } from '../date-text.js';
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
    const least = (options.min_days * DAY_MS) / unit;
    const most = (options.max_days * DAY_MS) / unit;
    const [min, max] = timeRangeOf(column);
    return (value) => {
      if (value === null) return null;
      const parsed = parseIsoDate(value);
      if (!parsed) return value; // infinity, -infinity, BC dates
      const source = options.deterministic ? RandomSource.seeded(salt, 'date-shift', value) : RandomSource.fresh();
      const magnitude = least + source.intBelow(most - least + 1);
      const sign = source.next() < 0.5 ? -1 : 1;
      const shifted = parsed.ms + sign * magnitude * unit;
      // Near the ends of what the type holds (years 1 and 9999; MySQL's TIMESTAMP, 1970 and 2038) a shift
      // could leave it: move the other way, and stay at the end if that leaves it too.
      if (shifted >= min && shifted <= max) return formatIsoDate(parsed, shifted);
      const back = parsed.ms - sign * magnitude * unit;
      return formatIsoDate(parsed, Math.min(max, Math.max(min, back)));
    };
  },
});
