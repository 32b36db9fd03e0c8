import { z } from 'zod';
import { integerRange, isEmptyText, isTextColumn } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/**
 * The original's `keep-first-char`: text of more than one character → its first; an integer of two digits or
 * more → its leading digit, with its sign (the original left negative numbers whole, which hid nothing).
 */
export const keepFirstChar = defineTransformer({
  name: 'keep-first-char',
  description: 'Keeps only the first character of text, or the leading digit (and sign) of an integer of two digits or more.',
  options: z.strictObject({}),
  deterministic: true,
  accepts: 'text, varchar(n), char(n), citext, smallint, integer, bigint, numeric',
  refuses: (column) => (isTextColumn(column) || integerRange(column) || column.baseType === 'numeric' ? undefined : `it keeps a first character of text or digits, and ${column.name} is ${column.type}`),
  examples: [{ input: 'Margaret' }, { input: '4096', column: { type: 'integer', baseType: 'int4' } }],
  create: (_options, { column }) => (value) => {
    if (value === null || isEmptyText(value, column)) return value;
    if (isTextColumn(column)) return [...value].length > 1 ? [...value][0]! : value;
    const digits = /^(-?)(\d)\d/.exec(value);
    return digits ? digits[1]! + digits[2]! : value;
  },
});
