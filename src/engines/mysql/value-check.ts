import type { Connection } from 'mysql2/promise';
import { ByteBuilder } from '../../encode/mysql/byte-builder.js';
import { RESTORE_SQL_MODE } from '../../encode/mysql/session.js';
import { writeText } from '../../encode/mysql/sql-literal.js';
import type { FixedValue } from '../../transformers/fixed-values.js';
import { literalKindOf } from './column-types.js';

/**
 * MySQL's own verdict on values a transformer always writes: each is inserted, as the dump writes it,
 * into a temporary table with a column of the same type, in the restore's strict sql_mode. On a session
 * of its own (`connect`): MariaDB refuses even a temporary table in the snapshot's READ ONLY transaction.
 * Without the privilege to create temporary tables, nothing is refused here (the restore still would).
 */
export async function checkValuesInMysql(connect: () => Promise<Connection>, values: readonly FixedValue[]): Promise<Array<string | undefined>> {
  const connection = await connect();
  await connection.query(`SET SESSION sql_mode = '${RESTORE_SQL_MODE}', time_zone = '+00:00'`);
  try {
    const verdicts: Array<string | undefined> = [];
    for (const { column, value } of values) {
      const kind = literalKindOf(column);
      if (kind === 'hex') {
        verdicts.push(undefined);
        continue;
      }
      try {
        await connection.query(`CREATE TEMPORARY TABLE replibyte_value_check (v ${column.type}${column.notNull ? ' NOT NULL' : ''})`);
      } catch {
        return values.map(() => undefined);
      }
      try {
        const literal = new ByteBuilder();
        writeText(literal, kind, value);
        await connection.query(`INSERT INTO replibyte_value_check (v) VALUES (${literal.take().toString('utf8')})`);
        verdicts.push(undefined);
      } catch (error) {
        verdicts.push((error as Error).message);
      } finally {
        await connection.query('DROP TEMPORARY TABLE IF EXISTS replibyte_value_check');
      }
    }
    return verdicts;
  } finally {
    connection.destroy();
  }
}
