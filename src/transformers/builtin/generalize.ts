import { z } from 'zod';
import { integerRange, isEmptyText, isTextColumn } from '../column-types.js';
import { DATE_TYPES, formatIsoDate, parseIsoDate } from '../date-text.js';
import { fitNumber, numberRangeOf } from '../number-range.js';
import { defineTransformer, type ColumnInfo } from '../transformer.js';

const NUMBER_TYPES = new Set(['int1', 'int2', 'int3', 'int4', 'int8', 'uint1', 'uint2', 'uint3', 'uint4', 'uint8', 'numeric', 'float4', 'float8']);
const UNITS = ['decade', 'year', 'quarter', 'month', 'week', 'day', 'hour'] as const;
type Unit = (typeof UNITS)[number];

/**
 * Numbers and dates made coarse (k-anonymity's generalization, PostgreSQL Anonymizer's generalize_*):
 * an age of 37 with `step: 10` becomes 30, a birth date becomes its year's first day. In a number or date
 * column the bucket's lower bound is written (it fits the column); in a text column `output: range` writes
 * the bucket itself, `[30, 40)` or `[2024-01-01, 2025-01-01)`.
 */
export const generalize = defineTransformer({
  name: 'generalize',
  description:
    'Makes numbers and dates coarse: a number to the lower bound of its bucket of width `step` (37 → 30 with step 10), a date or timestamp to the start of its `unit` (decade, year, quarter, month, week, day, hour; default year). `output: range` (text columns) writes the bucket, `[30, 40)`. Text that is neither becomes empty.',
  options: z.strictObject({ step: z.number().positive().optional(), unit: z.enum(UNITS).default('year'), output: z.enum(['lower', 'range']).default('lower') }),
  deterministic: true,
  accepts: 'integers, numeric, float, date, timestamp, timestamptz; text, varchar(n) holding numbers or dates (with `output: range` for ranges)',
  refuses: (column) => {
    if (NUMBER_TYPES.has(column.baseType) || DATE_TYPES.includes(column.baseType)) return undefined;
    return isTextColumn(column) ? undefined : `it writes numbers or dates, and ${column.name} is ${column.type}`;
  },
  examples: [
    { input: '37', options: { step: 10 }, column: { type: 'integer', baseType: 'int4' } },
    { input: '1984-07-19', options: { unit: 'decade' }, column: { type: 'date', baseType: 'date' } },
    { input: '37', options: { step: 10, output: 'range' } },
  ],
  create: (options, { column }) => {
    const range = options.output === 'range' && isTextColumn(column);
    // A bucket's lower bound may lie past the type's least value (-99.99 in numeric(4,2), step 10: -100): the bound is kept.
    const bounds = range ? undefined : numberRangeOf(column);
    const number = (value: string): string | undefined => {
      const out = generalizeNumber(value, options.step ?? 10, column, range);
      return out !== undefined && bounds ? fitNumber(out, bounds) : out;
    };
    const date = (value: string): string | undefined => generalizeDate(value, options.unit, range);
    return (value) => {
      if (value === null || isEmptyText(value, column)) return value;
      const out = NUMBER_TYPES.has(column.baseType) ? number(value) : DATE_TYPES.includes(column.baseType) ? date(value) : (number(value) ?? date(value));
      if (out === undefined) return NUMBER_TYPES.has(column.baseType) || DATE_TYPES.includes(column.baseType) ? value : '';
      return column.maxLength !== undefined && [...out].length > column.maxLength ? '' : out;
    };
  },
});

/** Exact for integers (BigInt), to the step's decimals otherwise; kept within an integer type's range. */
function generalizeNumber(value: string, step: number, column: ColumnInfo, range: boolean): string | undefined {
  const text = value.trim();
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return undefined;
  let lower: string;
  let upper: string;
  if (/^-?\d+$/.test(text) && Number.isInteger(step)) {
    const big = BigInt(text);
    const width = BigInt(step);
    let low = (big / width) * width;
    if (low > big) low -= width; // division rounds toward zero: negatives go one bucket down
    const limits = integerRange(column);
    if (limits && low < limits[0]) low = limits[0];
    lower = String(low);
    upper = String(low + width);
  } else {
    const decimals = (String(step).split('.')[1] ?? '').length;
    const low = Math.floor(Number(text) / step) * step;
    lower = low.toFixed(decimals);
    upper = (low + step).toFixed(decimals);
  }
  return range ? `[${lower}, ${upper})` : lower;
}

function generalizeDate(value: string, unit: Unit, range: boolean): string | undefined {
  const parsed = parseIsoDate(value);
  if (!parsed) return undefined;
  const date = new Date(parsed.ms);
  const year = date.getUTCFullYear();
  const start = new Date(0);
  const next = new Date(0);
  const set = (target: Date, y: number, m: number, d: number, h = 0) => {
    target.setUTCFullYear(y, m, d);
    target.setUTCHours(h, 0, 0, 0);
  };
  switch (unit) {
    case 'decade':
      set(start, year - (((year % 10) + 10) % 10), 0, 1);
      set(next, start.getUTCFullYear() + 10, 0, 1);
      break;
    case 'year':
      set(start, year, 0, 1);
      set(next, year + 1, 0, 1);
      break;
    case 'quarter': {
      const month = date.getUTCMonth() - (date.getUTCMonth() % 3);
      set(start, year, month, 1);
      set(next, year, month + 3, 1);
      break;
    }
    case 'month':
      set(start, year, date.getUTCMonth(), 1);
      set(next, year, date.getUTCMonth() + 1, 1);
      break;
    case 'week': {
      // ISO weeks start on Monday.
      const back = (date.getUTCDay() + 6) % 7;
      set(start, year, date.getUTCMonth(), date.getUTCDate() - back);
      set(next, year, date.getUTCMonth(), date.getUTCDate() - back + 7);
      break;
    }
    case 'day':
      set(start, year, date.getUTCMonth(), date.getUTCDate());
      set(next, year, date.getUTCMonth(), date.getUTCDate() + 1);
      break;
    case 'hour':
      set(start, year, date.getUTCMonth(), date.getUTCDate(), date.getUTCHours());
      set(next, year, date.getUTCMonth(), date.getUTCDate(), date.getUTCHours() + 1);
      break;
  }
  // The fraction of a second goes too: the value keeps its shape (date, timestamp, offset) otherwise.
  const shape = { ...parsed, fraction: '' };
  const lower = formatIsoDate(shape, start.getTime());
  return range ? `[${lower}, ${formatIsoDate(shape, next.getTime())})` : lower;
}
