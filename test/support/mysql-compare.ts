import { createHash } from 'node:crypto';
import type { MysqlTestDatabase } from './mysql.js';

const DEFINER = /\s*DEFINER=`[^`]*`@`[^`]*`/;

/** A description of a MySQL database's schema that two databases can be compared by. */
export async function describeMysqlSchema(db: MysqlTestDatabase): Promise<Record<string, unknown>> {
  const tables = await db.sql<{ name: string; type: string }>(
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
  );
  const definitions: Record<string, string> = {};
  for (const table of tables) {
    const quoted = `\`${table.name.replaceAll('`', '``')}\``;
    if (table.type === 'VIEW') {
      const [row] = await db.sql<Record<string, string>>(`SHOW CREATE VIEW ${quoted}`);
      definitions[table.name] = row!['Create View']!.replace(DEFINER, '');
    } else {
      const [row] = await db.sql<Record<string, string>>(`SHOW CREATE TABLE ${quoted}`);
      definitions[table.name] = row!['Create Table']!;
    }
  }
  const triggers = await db.sql(
    `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_ORDER, ACTION_STATEMENT, SQL_MODE
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1`,
  );
  const routines = await db.sql(
    `SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SQL_MODE
     FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1`,
  );
  const parameters = await db.sql(
    `SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
     FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = DATABASE() ORDER BY 1, 2`,
  );
  return { definitions, triggers, routines, parameters };
}

/** Base tables and their columns. */
export async function mysqlColumns(db: MysqlTestDatabase): Promise<Array<{ table: string; column: string }>> {
  return db.sql(
    `SELECT c.TABLE_NAME AS \`table\`, c.COLUMN_NAME AS \`column\` FROM information_schema.COLUMNS c
     JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
     WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY 1, c.ORDINAL_POSITION`,
  );
}

export function q(identifier: string): string {
  return `\`${identifier.replaceAll('`', '``')}\``;
}

/** Every value of a column as a sorted multiset of exact bytes, NULL kept apart from ''. */
export async function mysqlColumnDigest(db: MysqlTestDatabase, table: string, column: string): Promise<string> {
  const rows = await db.raw(`SELECT ${q(column)} FROM ${q(table)}`);
  const values = rows.map(([value]) => (value === null ? 'NULL' : `v:${value!.toString('hex')}`)).sort();
  return createHash('sha256').update(values.join(',')).digest('hex');
}

export async function mysqlColumnValues(db: MysqlTestDatabase, table: string, column: string, orderBy: string): Promise<Array<string | null>> {
  const rows = await db.raw(`SELECT ${q(column)} FROM ${q(table)} ORDER BY ${orderBy}`);
  return rows.map(([value]) => (value === null ? null : value!.toString('utf8')));
}

export async function mysqlRowCounts(db: MysqlTestDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table } of await db.sql<{ table: string }>(
    "SELECT TABLE_NAME AS `table` FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
  )) {
    const [row] = await db.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q(table)}`);
    counts[table] = Number(row!.n);
  }
  return counts;
}
