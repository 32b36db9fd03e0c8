import { ReplibyteError } from '../errors.js';
import { numberCheck, numberRangeOf } from './number-range.js';
import type { RowView, ValueTransform } from './row-transform.js';
import type { ColumnInfo } from './transformer.js';

/**
 * The last check of a transformed value before its row is stored: what the catalog knows constrains the
 * column and that a transformer (a custom module, a template) could still break — NOT NULL, the declared
 * length (and a CHECK's bytes), an integer type's range and a numeric(p,s)'s precision. A value that would
 * fail at restore fails here instead, naming the table, the column and the row's key, while the source can
 * still be looked at; so does an error a transformer raises on a row. Built-in transformers fit their
 * outputs; this only catches what they cannot know.
 */
export function guardOutput(apply: ValueTransform, transformer: string, column: ColumnInfo, keyColumns: readonly string[] = []): ValueTransform {
  const limit = column.maxLength;
  const bytes = column.maxBytes;
  const notNull = column.notNull === true;
  const range = numberRangeOf(column);
  const numbers = range && numberCheck(range, column.type);
  const label = `${column.schema}.${column.table}.${column.name}`;
  const fail = (row: RowView, what: string): never => {
    throw new ReplibyteError(`${label}: ${transformer} wrote ${what}, for the row ${rowKey(row, keyColumns)}: the restore would refuse it`, 'choose a transformer (or options) whose values fit the column');
  };
  const bare = limit === undefined && bytes === undefined && !notNull && !numbers;
  // A transformer's own refusal of a row (options read from it, say) gets the row's key too.
  const withKey = (error: unknown, row: RowView): never => {
    if (!(error instanceof ReplibyteError) || error.message.includes(', for the row ')) throw error;
    throw new ReplibyteError(`${error.message.startsWith(`${label}:`) ? '' : `${label}: `}${error.message}, for the row ${rowKey(row, keyColumns)}`, error.hint);
  };
  return (value, row) => {
    let out: string | null;
    try {
      out = apply(value, row);
    } catch (error) {
      return withKey(error, row);
    }
    if (bare) return out;
    if (out === null) {
      if (notNull) fail(row, 'NULL into a NOT NULL column');
      return out;
    }
    // UTF-16 length ≥ characters: count code points only when it might be too long.
    if (limit !== undefined && out.length > limit) {
      const characters = [...out].length;
      if (characters > limit) fail(row, `${characters} characters, more than ${column.type} holds`);
    }
    // UTF-8 bytes ≤ 3 × UTF-16 units: count bytes only when it might be too long.
    if (bytes !== undefined && out.length * 3 > bytes) {
      const written = Buffer.byteLength(out);
      if (written > bytes) fail(row, `${written} bytes, more than a CHECK on its length allows (${bytes})`);
    }
    const problem = numbers ? numbers(out) : undefined;
    if (problem !== undefined) fail(row, problem);
    return out;
  };
}

/** `id = 42`, `(a, b) = (1, x)`, or the row's position when the table has no primary key. */
function rowKey(row: RowView, keyColumns: readonly string[]): string {
  if (keyColumns.length === 0) return 'of a table without a primary key';
  const values = keyColumns.map((column) => row.get(column) ?? 'NULL');
  return keyColumns.length === 1 ? `${keyColumns[0]} = ${values[0]}` : `(${keyColumns.join(', ')}) = (${values.join(', ')})`;
}
