import type pg from 'pg';
import type { ClientBase } from 'pg';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { readCatalog, qualifiedName, quoteIdentifier } from '../engines/postgres/catalog.js';
import { connectPostgres } from '../engines/postgres/connection.js';
import { ReplibyteError } from '../errors.js';
import type { ForeignKey } from '../selection/foreign-key.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import type { ColumnInfo } from '../transformers/transformer.js';
import { proposeDecisions, type ColumnSampler, type ScanFinding, type ScanKeep, type ScanTable } from './proposal.js';

export type { ScanFinding, ScanKeep } from './proposal.js';

export interface ScanResult {
  tables: number;
  columns: number;
  sampleRows: number;
  findings: ScanFinding[];
  /** Every other column, with why it looks safe as it is (what `init` writes under `source.keep`). */
  kept: ScanKeep[];
}

export interface ScanOptions {
  registry: TransformerRegistry;
  /** Rows read per table (the first ones: a scan must stay cheap on a production database). */
  sampleRows?: number;
  /** Share of sampled non-empty values a detector must match to flag a column by content alone. */
  threshold?: number;
}

/**
 * `source scan`: reads the live schema and the first rows of every table, and flags columns that look
 * sensitive by their name or by their content. Read-only, in one READ ONLY transaction. PostgreSQL, and
 * MySQL/MariaDB for a mysql:// URI.
 */
export async function scanSource(uri: string, options: ScanOptions): Promise<ScanResult> {
  const { engineForUri } = await import('../engines/index.js');
  const engine = engineForUri(uri, 'the source URI');
  if (!engine.scan) throw new ReplibyteError(`source scan reads tables and columns; ${engine.label} has none to list (README "MongoDB")`);
  return engine.scan(uri, options);
}

/** PostgreSQL: one READ ONLY snapshot; partitions are decided by their parent. */
export async function scanPostgres(uri: string, options: ScanOptions): Promise<ScanResult> {
  const client = await connectPostgres(uri, 'source');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const catalog = await readCatalog(client);
    const partitions = await readPartitionAncestors(client);
    // A partition is decided by its parent: the scan proposes for the parent (the name the config uses).
    const relations = catalog.tables.filter((t) => (t.kind === 'r' || t.kind === 'p' || t.kind === 'm') && !partitions.has(JSON.stringify([t.schema, t.name])));
    const tables = scanTables(relations, catalog.foreignKeys, await readPrimaryKeys(client));
    return summarize(tables, await proposeDecisions(tables, { ...options, sampler: postgresSampler(client) }));
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

export async function scanMysql(uri: string, options: ScanOptions): Promise<ScanResult> {
  const { connectMysql } = await import('../engines/mysql/connection.js');
  const { readMysqlCatalog } = await import('../engines/mysql/catalog.js');
  const connection = await connectMysql(uri, 'source');
  try {
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const catalog = await readMysqlCatalog(connection);
    const tables = scanTables(catalog.tables.filter((t) => t.kind === 'table'), catalog.foreignKeys, await readMysqlPrimaryKeys(connection));
    return summarize(tables, await proposeDecisions(tables, { ...options, sampler: mysqlSampler(connection) }));
  } finally {
    await connection.query('ROLLBACK').catch(() => undefined);
    connection.destroy();
  }
}

function summarize(tables: ScanTable[], proposal: Awaited<ReturnType<typeof proposeDecisions>>): ScanResult {
  return {
    tables: tables.length,
    columns: tables.reduce((sum, table) => sum + table.columns.filter((c) => !c.generated).length, 0),
    ...proposal,
  };
}

/** The tables with their key columns: a column of a primary or foreign key is never flagged by name. */
export function scanTables(
  tables: ReadonlyArray<{ schema: string; name: string; columns: Array<ColumnInfo & { generated?: boolean }> }>,
  foreignKeys: readonly ForeignKey[],
  primaryKeys: ReadonlySet<string>,
): ScanTable[] {
  const keys = new Map<string, Map<string, string>>();
  const mark = (schema: string, table: string, column: string, role: string) => {
    const id = JSON.stringify([schema, table]);
    const map = keys.get(id) ?? new Map<string, string>();
    if (!map.has(column)) map.set(column, role);
    keys.set(id, map);
  };
  for (const key of primaryKeys) {
    const [schema, table, column] = JSON.parse(key) as [string, string, string];
    mark(schema, table, column, 'primary key');
  }
  for (const fk of foreignKeys) {
    fk.columns.forEach((column) => mark(fk.schema, fk.table, column, `foreign key to ${fk.referencedTable}`));
    fk.referencedColumns.forEach((column) => mark(fk.referencedSchema, fk.referencedTable, column, 'a referenced key'));
  }
  return tables.map((t) => ({ schema: t.schema, name: t.name, columns: t.columns, keys: keys.get(JSON.stringify([t.schema, t.name])) ?? new Map() }));
}

/** `["schema","table","column"]` of every primary-key column. */
export async function readPrimaryKeys(client: ClientBase): Promise<Set<string>> {
  const { rows } = await client.query<{ schema: string; table: string; column: string }>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indisprimary`);
  return new Set(rows.map((r) => JSON.stringify([r.schema, r.table, r.column])));
}

/** Every partition (`["schema","name"]`) → the partitioned tables above it, nearest first. */
export async function readPartitionAncestors(client: ClientBase): Promise<Map<string, Array<{ schema: string; name: string }>>> {
  const { rows } = await client.query<{ schema: string; name: string; ancestor_schema: string; ancestor_name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name, an.nspname AS ancestor_schema, a.relname AS ancestor_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL pg_partition_ancestors(c.oid) WITH ORDINALITY AS up(relid, depth)
    JOIN pg_class a ON a.oid = up.relid JOIN pg_namespace an ON an.oid = a.relnamespace
    WHERE c.relispartition AND up.relid <> c.oid
    ORDER BY c.oid, up.depth`);
  const ancestors = new Map<string, Array<{ schema: string; name: string }>>();
  for (const row of rows) {
    const id = JSON.stringify([row.schema, row.name]);
    ancestors.set(id, [...(ancestors.get(id) ?? []), { schema: row.ancestor_schema, name: row.ancestor_name }]);
  }
  return ancestors;
}

/**
 * Every table that descends from others (a partition, an inheritance child) → its ancestors, nearest
 * first: what is decided on a partitioned table or an inheritance parent is decided on its descendants.
 */
export async function readTableAncestors(client: ClientBase): Promise<Map<string, Array<{ schema: string; name: string }>>> {
  const { rows } = await client.query<{ schema: string; name: string; ancestor_schema: string; ancestor_name: string }>(`
    WITH RECURSIVE up (child, ancestor, depth, seq) AS (
      SELECT inhrelid, inhparent, 1, inhseqno FROM pg_inherits
      UNION ALL
      SELECT up.child, i.inhparent, up.depth + 1, i.inhseqno FROM up JOIN pg_inherits i ON i.inhrelid = up.ancestor WHERE up.depth < 32
    )
    SELECT n.nspname AS schema, c.relname AS name, an.nspname AS ancestor_schema, a.relname AS ancestor_name
    FROM up JOIN pg_class c ON c.oid = up.child JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class a ON a.oid = up.ancestor JOIN pg_namespace an ON an.oid = a.relnamespace
    ORDER BY up.child, up.depth, up.seq`);
  const ancestors = new Map<string, Array<{ schema: string; name: string }>>();
  for (const row of rows) {
    const id = JSON.stringify([row.schema, row.name]);
    const list = ancestors.get(id) ?? [];
    if (!list.some((a) => a.schema === row.ancestor_schema && a.name === row.ancestor_name)) list.push({ schema: row.ancestor_schema, name: row.ancestor_name });
    ancestors.set(id, list);
  }
  return ancestors;
}

export async function readMysqlPrimaryKeys(connection: Connection): Promise<Set<string>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'PRIMARY'`,
  );
  return new Set((rows as Array<{ schema: string; table: string; column: string }>).map((r) => JSON.stringify([r.schema, r.table, r.column])));
}

/** The first rows of a table, each column as text, in the caller's (read-only) transaction. */
export function postgresSampler(client: pg.ClientBase): ColumnSampler {
  return async (table, columns, limit) => {
    const list = columns.map((c, i) => `${quoteIdentifier(c.name)}::text AS c${i}`).join(', ');
    const { rows } = await client.query<Record<string, string | null>>(`SELECT ${list} FROM ${qualifiedName(table.schema, table.name)} LIMIT ${Math.max(1, Math.floor(limit))}`);
    return samplesOf(columns, rows);
  };
}

export function mysqlSampler(connection: Connection): ColumnSampler {
  const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;
  return async (table, columns, limit) => {
    const list = columns.map((c, i) => `CAST(${quote(c.name)} AS CHAR) AS c${i}`).join(', ');
    const [rows] = await connection.query<RowDataPacket[]>(`SELECT ${list} FROM ${quote(table.name)} LIMIT ${Math.max(1, Math.floor(limit))}`);
    return samplesOf(columns, rows as Array<Record<string, string | null>>);
  };
}

function samplesOf(columns: ColumnInfo[], rows: Array<Record<string, string | null>>): Map<string, string[]> {
  const samples = new Map<string, string[]>();
  columns.forEach((column, i) => {
    samples.set(column.name, rows.map((row) => row[`c${i}`]).filter((v): v is string => v !== null && v !== undefined && String(v).trim() !== '').map(String));
  });
  return samples;
}
