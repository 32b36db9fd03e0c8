import { createHash } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { ColumnInfo } from '../../transformers/transformer.js';
import { mysqlColumnInfo } from './column-types.js';
import { columnChecks, uniqueColumns, type CheckRow, type UniqueKeyPart } from './constraints.js';
import type { ForeignKey } from '../../selection/foreign-key.js';

/** One table or view of the source database, read from information_schema. */
export interface MysqlTableInfo {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  /** In ordinal order, generated columns included (flagged). */
  columns: Array<ColumnInfo & { generated: boolean }>;
  /** The primary key's columns, in key order. */
  primaryKey?: string[];
}

export type MysqlForeignKey = ForeignKey;

export interface MysqlCatalog {
  engine: 'mysql' | 'mariadb';
  serverVersion: string;
  database: string;
  /** A hash of the server's identity, so that a restore can refuse to write into its own source. */
  systemIdentifier: string;
  tables: MysqlTableInfo[];
  foreignKeys: MysqlForeignKey[];
  triggers: Array<{ name: string; table: string }>;
  routines: Array<{ name: string; type: 'PROCEDURE' | 'FUNCTION' }>;
  events: string[];
}

async function rows<T>(connection: Connection, sql: string, values: unknown[] = []): Promise<T[]> {
  const [result] = await connection.query<RowDataPacket[]>(sql, values);
  return result as unknown as T[];
}

export async function serverIdentity(connection: Connection): Promise<{ engine: 'mysql' | 'mariadb'; serverVersion: string; systemIdentifier: string; database: string }> {
  const [info] = await rows<{ version: string; db: string; host: string; port: number; datadir: string }>(
    connection,
    'SELECT VERSION() AS version, DATABASE() AS db, @@hostname AS host, @@port AS port, @@datadir AS datadir',
  );
  const version = info!.version;
  return {
    engine: /mariadb/i.test(version) ? 'mariadb' : 'mysql',
    serverVersion: version.split('-')[0]!,
    database: info!.db,
    systemIdentifier: createHash('sha256').update(`${info!.host}\0${info!.port}\0${info!.datadir}`).digest('hex').slice(0, 32),
  };
}

/** The key parts of the database's unique indexes; MySQL 8.0.13+ also names a functional part's expression. */
async function readUniqueKeyParts(connection: Connection, db: string, engine: 'mysql' | 'mariadb'): Promise<UniqueKeyPart[]> {
  const select = (expression: string) => `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, SUB_PART AS subPart, ${expression} AS expression
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0`;
  if (engine === 'mysql') {
    // Before 8.0.13 there is no EXPRESSION column (and no functional key part to read).
    const parts = await rows<UniqueKeyPart>(connection, select('EXPRESSION'), [db]).catch(() => undefined);
    if (parts) return parts;
  }
  return rows<UniqueKeyPart>(connection, select('NULL'), [db]);
}

/**
 * The database's CHECK constraints with their tables. MariaDB's CHECK_CONSTRAINTS names the table (and
 * lists column-level CHECKs, named after their column); MySQL 8.0.16+ names it in TABLE_CONSTRAINTS,
 * where a CHECK may also be NOT ENFORCED (then it constrains nothing). MySQL 5.7 has no CHECKs.
 */
async function readChecks(connection: Connection, db: string, engine: 'mysql' | 'mariadb'): Promise<CheckRow[]> {
  const sql =
    engine === 'mariadb'
      ? `SELECT TABLE_NAME AS \`table\`, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`
      : `SELECT tc.TABLE_NAME AS \`table\`, cc.CHECK_CLAUSE AS clause
         FROM information_schema.TABLE_CONSTRAINTS tc
         JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
         WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK' AND tc.ENFORCED = 'YES'`;
  return rows<CheckRow>(connection, sql, [db]).catch(() => []);
}

/** Reads the catalog of the connection's database (inside the dump's transaction). */
export async function readMysqlCatalog(connection: Connection): Promise<MysqlCatalog> {
  const identity = await serverIdentity(connection);
  const db = identity.database;
  const tableRows = await rows<{ name: string; type: string }>(
    connection,
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME`,
    [db],
  );
  const columnRows = await rows<{ table: string; name: string; type: string; generated: string | null; nullable: string }>(
    connection,
    `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS type, GENERATION_EXPRESSION AS generated, IS_NULLABLE AS nullable
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db],
  );
  // Every column of a unique index, multi-column ones too: a transformer that maps two values to one
  // could make two rows equal in all the index's columns. Prefix key parts (SUB_PART), MySQL 8's
  // functional key parts (EXPRESSION) and generated key columns name the columns they read (constraints.ts).
  const uniqueParts = await readUniqueKeyParts(connection, db, identity.engine);
  const checks = await readChecks(connection, db, identity.engine);
  const keyRows = await rows<{ table: string; name: string }>(
    connection,
    `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_NAME, SEQ_IN_INDEX`,
    [db],
  );
  const unique = uniqueColumns(uniqueParts, columnRows);
  const checksOf = columnChecks(checks, columnRows);
  // MariaDB's JSON is LONGTEXT with a json_valid() check.
  const json = new Set(checks.map((r) => `${r.table}\0${/^\(?json_valid\(`((?:[^`]|``)*)`\)\)?$/.exec(r.clause)?.[1]?.replaceAll('``', '`')}`));
  const tables: MysqlTableInfo[] = tableRows.map((t) => ({
    schema: db,
    name: t.name,
    kind: t.type === 'VIEW' ? 'view' : 'table',
    ...(keyRows.some((k) => k.table === t.name) && { primaryKey: keyRows.filter((k) => k.table === t.name).map((k) => k.name) }),
    columns: columnRows
      .filter((c) => c.table === t.name)
      .map((c) => {
        const key = `${t.name}\0${c.name}`;
        const constraint = unique.get(key);
        return {
          ...mysqlColumnInfo(db, t.name, c.name, c.type, {
            unique: constraint !== undefined,
            ...(constraint?.prefix !== undefined && { uniquePrefix: constraint.prefix }),
            json: json.has(key),
            notNull: c.nullable === 'NO',
            checks: checksOf.get(key) ?? [],
          }),
          generated: (c.generated ?? '') !== '',
        };
      }),
  }));

  const fkRows = await rows<{ name: string; table: string; column: string; refSchema: string; refTable: string; refColumn: string }>(
    connection,
    `SELECT CONSTRAINT_NAME AS name, TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\`, REFERENCED_TABLE_SCHEMA AS refSchema,
            REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refColumn
     FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
    [db],
  );
  const foreignKeys: MysqlForeignKey[] = [];
  for (const r of fkRows) {
    let fk = foreignKeys.at(-1);
    if (!fk || fk.name !== r.name || fk.table !== r.table) {
      fk = { name: r.name, schema: db, table: r.table, columns: [], referencedSchema: r.refSchema, referencedTable: r.refTable, referencedColumns: [] };
      foreignKeys.push(fk);
    }
    fk.columns.push(r.column);
    fk.referencedColumns.push(r.refColumn);
  }

  const triggers = await rows<{ name: string; table: string }>(
    connection,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS \`table\` FROM information_schema.TRIGGERS
     WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [db],
  );
  const routines = await rows<{ name: string; type: 'PROCEDURE' | 'FUNCTION' }>(
    connection,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
     WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME`,
    [db],
  );
  const events = await rows<{ name: string }>(connection, 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1', [db]);
  return { ...identity, tables, foreignKeys, triggers, routines, events: events.map((e) => e.name) };
}
