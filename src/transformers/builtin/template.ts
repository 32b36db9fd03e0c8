import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { fitLength, refuseUnlessText } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

const PLACEHOLDER = /\{\{\s*([^}]+?)\s*\}\}/g;

/**
 * A value built from other columns of the same row: `user-{{id}}@example.com`. A placeholder whose column
 * is itself transformed gets that column's transformed value, so the original never leaks through it.
 * Unique columns are allowed (a template on the primary key is the usual way to keep them unique).
 */
export const template = defineTransformer({
  name: 'template',
  description: 'A value built from other columns of the row: `{{column}}` is that column\'s value (transformed, if it is); NULL columns give an empty string. `keep_null` (default true) leaves NULL as NULL.',
  options: z.strictObject({ template: z.string().min(1), keep_null: z.boolean().default(true) }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'text, varchar(n), char(n), citext',
  refuses: refuseUnlessText,
  examples: [{ input: 'jane.doe@acme.com', options: { template: 'user-{{id}}@example.com' }, row: { id: '42' } }],
  create: (options, { column, tableColumns, transformOf }) => {
    const parts = options.template.split(PLACEHOLDER);
    // split() with one capture group alternates literal, column, literal, …
    const columns = parts.filter((_, i) => i % 2 === 1);
    for (const name of columns) {
      if (tableColumns && !tableColumns.includes(name)) throw new ReplibyteError(`template reads {{${name}}}, which is not a column of ${column.schema}.${column.table}`);
      if (name === column.name) throw new ReplibyteError(`template reads {{${name}}}, its own column`);
    }
    return (value, row) => {
      if (value === null && options.keep_null) return null;
      let out = '';
      parts.forEach((part, i) => {
        if (i % 2 === 0) {
          out += part;
          return;
        }
        const original = row.get(part);
        const transform = transformOf?.(part);
        out += (transform ? transform(original, row) : original) ?? '';
      });
      return fitLength(out, column);
    };
  },
});
