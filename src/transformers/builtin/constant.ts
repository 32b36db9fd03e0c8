import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { integerRange } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/** One value for every row. Checked against the column when the dump starts (length, enum, integer range). */
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
    if (column.enumValues && !column.enumValues.includes(value)) {
      throw new ReplibyteError(`value "${value}" is not a member of the enum ${column.type} (${column.enumValues.join(', ')})`);
    }
    if (range && (!/^-?\d+$/.test(value) || BigInt(value) < range[0] || BigInt(value) > range[1])) {
      throw new ReplibyteError(`value "${value}" is not a valid ${column.type}`);
    }
    if (['numeric', 'float4', 'float8'].includes(column.baseType) && !Number.isFinite(Number(value))) {
      throw new ReplibyteError(`value "${value}" is not a valid ${column.type}`);
    }
    if (column.baseType === 'bool' && !['true', 'false', 't', 'f'].includes(value)) {
      throw new ReplibyteError(`value "${value}" is not a boolean`);
    }
    return (input) => (input === null && options.keep_null ? null : value);
  },
});
