import type { ClientBase } from 'pg';
import type { FixedValue } from '../../transformers/fixed-values.js';
import type { ColumnInfo } from '../../transformers/transformer.js';
import { quoteIdentifier } from './catalog.js';

/**
 * PostgreSQL's own verdict on values a transformer always writes: the value cast to the column's type
 * (its input function; a domain's CHECKs too), then each CHECK of the table on that column alone,
 * evaluated on it. Each value in a savepoint, so a refusal leaves the caller's snapshot transaction usable.
 *
 * `portable`: the server is not the source (a script's values checked on the destination): a type it
 * does not have (the script's domain or enum, not restored yet) is tried as its base type with the
 * modifiers the script gave (`character varying(20)`, `numeric(6,2)`), and left without a verdict when
 * that is unknown too (an enum: replibyte's own check of its members stands).
 */
export async function checkValuesInPostgres(client: ClientBase, values: readonly FixedValue[], options: { portable?: boolean } = {}): Promise<Array<string | undefined>> {
  const verdicts: Array<string | undefined> = [];
  for (const { column, value } of values) {
    await client.query('SAVEPOINT replibyte_value_check');
    try {
      const type = options.portable ? await typeKnownTo(client, column) : column.type;
      if (type === undefined) {
        verdicts.push(undefined);
        await client.query('RELEASE SAVEPOINT replibyte_value_check');
        continue;
      }
      await client.query(`SELECT $1::${type}`, [value]);
      let verdict: string | undefined;
      for (const check of column.checks ?? []) {
        const { rows } = await client.query<{ ok: boolean | null }>(`SELECT (${check}) AS ok FROM (SELECT $1::${type} AS ${quoteIdentifier(column.name)}) AS v`, [value]);
        // NULL passes a CHECK, as in the table.
        if (rows[0]?.ok === false) {
          verdict = `it fails CHECK ${check}`;
          break;
        }
      }
      verdicts.push(verdict);
      await client.query('RELEASE SAVEPOINT replibyte_value_check');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT replibyte_value_check');
      verdicts.push((error as Error).message);
    }
  }
  return verdicts;
}

/** The column's declared type if the server knows it, else its base type as the script spelt it, else undefined. */
async function typeKnownTo(client: ClientBase, column: ColumnInfo): Promise<string | undefined> {
  for (const type of [column.type, baseForm(column)]) {
    // to_regtype: NULL for an unknown type (or schema) instead of an error; a syntax error still throws.
    const { rows } = await client.query<{ known: string | null }>('SELECT to_regtype($1)::text AS known', [type]);
    if (rows[0]?.known) return type;
  }
  return undefined;
}

/** `character varying(20)` for a domain over varchar(20), `numeric(6,2)`, `text[]` for `_text`. */
function baseForm(column: ColumnInfo): string {
  const array = column.baseType.startsWith('_');
  const base = array ? column.baseType.slice(1) : column.baseType;
  let form = base;
  if ((base === 'varchar' || base === 'bpchar') && column.maxLength !== undefined) form = `${base}(${column.maxLength})`;
  if (base === 'numeric' && column.decimal) form = `numeric(${column.decimal.precision},${column.decimal.scale})`;
  return array ? `${form}[]` : form;
}
