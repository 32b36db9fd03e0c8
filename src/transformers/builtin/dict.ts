import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { integerRange, isEmptyText, isTextColumn } from '../column-types.js';
import { defineTransformer, type ColumnInfo, type TransformerContext } from '../transformer.js';
import { constant } from './constant.js';

const target = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const NUMBER_TYPES = new Set(['numeric', 'float4', 'float8']);

/**
 * Greenmask's Dict: known values replaced by the ones given for them (`gold` → `standard`, an internal
 * team's name → `Team A`). A value not in the list would leave the original in the dump, so the
 * config says what happens to it: `default` replaces it, `keep_others: true` keeps it (for columns
 * whose other values are not personal). Each written value is checked against the column as
 * `constant` checks its value.
 */
export const dict = defineTransformer({
  name: 'dict',
  description:
    'Replaces the values listed in `values` (`{from: to}`; `to` may be null) and writes `default` for any other, or keeps the others with `keep_others: true` (one of the two is required). Keys are matched against the value as the database prints it: a number column by number (`10` matches `10.00`), citext without case, char(n) without its padding. Each written value is checked against the column. NULL stays NULL; empty text stays empty unless `\'\'` is a key.',
  options: z
    .strictObject({
      values: z.record(z.string(), target).refine((values) => Object.keys(values).length > 0, 'give at least one value to replace'),
      default: target.optional(),
      keep_others: z.boolean().default(false),
    })
    .refine((o) => (o.default !== undefined) !== o.keep_others, 'give `default` (written for the values not in `values`) or `keep_others: true`, not both'),
  deterministic: true,
  accepts: 'text types, integers, numeric, float, boolean, enums (each written value checked as `constant` checks its value)',
  examples: [
    { input: 'gold', options: { values: { gold: 'standard', platinum: 'standard' }, keep_others: true } },
    { input: 'Payroll team', options: { values: { 'Payroll team': 'Team A', 'Legal': 'Team B' }, default: 'Team C' } },
  ],
  create: (options, context) => {
    const { column } = context;
    const keyOf = matchKey(column);
    const replacements = new Map<string, string | null>();
    for (const [from, to] of Object.entries(options.values)) replacements.set(keyOf(from), writtenForm(to, context));
    const fallback = options.default === undefined ? undefined : writtenForm(options.default, context);
    return (value) => {
      if (value === null) return null;
      const key = keyOf(value);
      if (replacements.has(key)) return replacements.get(key)!;
      // An empty text hides nothing: it stays empty (docs/transformers.md, Empty text) unless listed.
      if (options.keep_others || (isTextColumn(column) && isEmptyText(value, column))) return value;
      return fallback!;
    };
  },
});

/**
 * The form a value is looked up by: a number by its value (the database prints numeric(6,2)'s 10 as
 * `10.00`), citext lower-cased, char(n) without its padding blanks; anything else as it is.
 */
function matchKey(column: ColumnInfo): (value: string) => string {
  if (integerRange(column) || NUMBER_TYPES.has(column.baseType)) {
    return (value) => (value.trim() !== '' && Number.isFinite(Number(value)) ? `\u0000${Number(value)}` : value);
  }
  if (column.baseType === 'citext') return (value) => value.toLowerCase();
  if (column.baseType === 'bpchar') return (value) => value.replace(/ +$/, '');
  return (value) => value;
}

/** The value as the column takes it (constant's checks), or NULL where the column may hold it. */
function writtenForm(value: string | number | boolean | null, context: TransformerContext): string | null {
  if (value === null) {
    if (context.column.notNull) throw new ReplibyteError(`${context.column.name} is NOT NULL: it cannot be replaced by null`);
    return null;
  }
  return constant.create({ value: String(value), keep_null: false }, context)('', { get: () => null });
}
