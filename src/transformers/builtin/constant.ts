import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { integerRange } from '../column-types.js';
import { numberProblem, numberRangeOf } from '../number-range.js';
import { defineTransformer, type ColumnInfo } from '../transformer.js';

/** One value for every row. Checked against the column when the dump starts (length, enum, integer range, numeric precision). */
export const constant = defineTransformer({
  name: 'constant',
  description: 'Replaces every non-NULL value with `value` (checked against the column type when the dump starts). `keep_null: false` replaces NULL too.',
  options: z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]).transform(String), keep_null: z.boolean().default(true) }),
  deterministic: true,
  accepts: 'text types, integers, numeric, boolean, enums, and any type whose text form `value` is',
  examples: [{ input: 'jane.doe@acme.com', options: { value: 'redacted@example.com' } }],
  create: (options, { column }) => {
    const value = options.value;
    const range = integerRange(column);
    if (column.maxLength !== undefined && [...value].length > column.maxLength) {
      throw new ReplibyteError(`value "${value}" is longer than ${column.type} allows`);
    }
    // A MySQL SET holds a comma-separated list of its members ('' is the empty set).
    const members = column.baseType === 'set' ? (value === '' ? [] : value.split(',')) : [value];
    const unknown = members.find((member) => !column.enumValues?.includes(member));
    if (column.enumValues && unknown !== undefined) {
      throw new ReplibyteError(`value "${value}" is not ${column.baseType === 'set' ? 'a list of members of the set' : 'a member of the enum'} ${column.type} (${column.enumValues.join(', ')})`);
    }
    if (range && (!/^-?\d+$/.test(value) || BigInt(value) < range[0] || BigInt(value) > range[1])) {
      throw new ReplibyteError(`value "${value}" is not a valid ${column.type}`);
    }
    if (['numeric', 'float4', 'float8'].includes(column.baseType) && !Number.isFinite(Number(value))) {
      throw new ReplibyteError(`value "${value}" is not a valid ${column.type}`);
    }
    // numeric(p,s): a script source has no server to ask (fixed-values.ts), so the precision is checked here too.
    const bounds = range ? undefined : numberRangeOf(column);
    const problem = bounds && numberProblem(value, bounds, column.type);
    if (problem) throw new ReplibyteError(`value ${problem}`);
    const written = column.baseType === 'bool' ? booleanValue(value, column) : value;
    if (written === undefined) throw new ReplibyteError(`value "${value}" is not a valid ${column.type}`);
    return (input) => (input === null && options.keep_null ? null : written);
  },
});

const MYSQL_BOOLEAN = /^tinyint\b/i;

/**
 * A boolean as the column writes it: PostgreSQL's boolean takes its literals; MySQL's BOOLEAN is a
 * tinyint(1), written as a bare number, so true/false become 1/0 and any tinyint is accepted.
 */
function booleanValue(value: string, column: ColumnInfo): string | undefined {
  const lower = value.trim().toLowerCase();
  if (MYSQL_BOOLEAN.test(column.type)) {
    if (lower === 'true') return '1';
    if (lower === 'false') return '0';
    return /^-?\d+$/.test(lower) && Number(lower) >= -128 && Number(lower) <= 127 ? String(Number(lower)) : undefined;
  }
  return ['true', 'false', 't', 'f', 'yes', 'no', 'on', 'off', '1', '0', 'y', 'n'].includes(lower) ? value : undefined;
}
