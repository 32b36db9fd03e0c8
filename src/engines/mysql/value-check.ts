import type { Connection } from 'mysql2/promise';
import { ByteBuilder } from '../../encode/mysql/byte-builder.js';
import { RESTORE_SQL_MODE } from '../../encode/mysql/session.js';
import { writeText } from '../../encode/mysql/sql-literal.js';
import type { FixedValue } from '../../transformers/fixed-values.js';
import { literalKindOf } from './column-types.js';
import { quoteMysqlIdentifier } from './identifiers.js';

/**
 * MySQL's own verdict on values a transformer always writes: each is inserted, as the dump writes it,
 * into a temporary table with a column of the same type and the CHECKs of the column alone, in the
 * restore's strict sql_mode. On a session
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
      // The column under its own name, so that its CHECKs (on it alone) read as they do in its table.
      const name = quoteMysqlIdentifier(column.name);
      const clauses = column.checks ?? [];
      const checks = clauses.map((check, i) => `, CONSTRAINT replibyte_check_${i} CHECK (${check})`).join('');
      const create = (constraints: string) => connection.query(`CREATE TEMPORARY TABLE replibyte_value_check (${name} ${column.type}${column.notNull ? ' NOT NULL' : ''}${constraints})`);
      try {
        // A CHECK the server will not copy (one naming a stored function, say) leaves the type's verdict.
        await create(checks).catch(() => create(''));
      } catch {
        return values.map(() => undefined);
      }
      try {
        const literal = new ByteBuilder();
        writeText(literal, kind, value);
        await connection.query(`INSERT INTO replibyte_value_check (${name}) VALUES (${literal.take().toString('utf8')})`);
        verdicts.push(undefined);
      } catch (error) {
        // MariaDB: "CONSTRAINT `replibyte_check_0` failed for …"; MySQL: "Check constraint 'replibyte_check_0' is violated."
        const failed = /replibyte_check_(\d+)/.exec((error as Error).message)?.[1];
        verdicts.push(failed !== undefined ? `it fails CHECK (${clauses[Number(failed)]})` : (error as Error).message);
      } finally {
        await connection.query('DROP TEMPORARY TABLE IF EXISTS replibyte_value_check');
      }
    }
    return verdicts;
  } finally {
    connection.destroy();
  }
}
