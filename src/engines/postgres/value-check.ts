import type { ClientBase } from 'pg';
import type { FixedValue } from '../../transformers/fixed-values.js';
import { quoteIdentifier } from './catalog.js';

/**
 * PostgreSQL's own verdict on values a transformer always writes: the value cast to the column's type
 * (its input function; a domain's CHECKs too), then each CHECK of the table on that column alone,
 * evaluated on it. Each value in a savepoint, so a refusal leaves the caller's snapshot transaction usable.
 */
export async function checkValuesInPostgres(client: ClientBase, values: readonly FixedValue[]): Promise<Array<string | undefined>> {
  const verdicts: Array<string | undefined> = [];
  for (const { column, value } of values) {
    await client.query('SAVEPOINT replibyte_value_check');
    try {
      await client.query(`SELECT $1::${column.type}`, [value]);
      let verdict: string | undefined;
      for (const check of column.checks ?? []) {
        const { rows } = await client.query<{ ok: boolean | null }>(`SELECT (${check}) AS ok FROM (SELECT $1::${column.type} AS ${quoteIdentifier(column.name)}) AS v`, [value]);
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
