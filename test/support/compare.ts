import type { TestDatabase } from './postgres.js';

/** A description of a database's schema that two databases can be compared by. */
export async function describeSchema(db: TestDatabase): Promise<Record<string, unknown>> {
  const [tables, constraints, indexes, views, functions, triggers, sequences] = await Promise.all([
    db.sql(`SELECT n.nspname || '.' || c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r','p','v','m','S','f') ORDER BY 1`),
    db.sql(`SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint
            WHERE connamespace IN (SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')) ORDER BY 1, 2`),
    db.sql(`SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2`),
    db.sql(`SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`),
    db.sql(`SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 2`),
    db.sql(`SELECT tgrelid::regclass::text AS rel, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    db.sql(`SELECT schemaname, sequencename, last_value::text FROM pg_sequences ORDER BY 1, 2`),
  ]);
  return { tables, constraints, indexes, views, functions, triggers, sequences };
}

export interface ColumnRef {
  table: string; // quoted, qualified: "public"."customers"
  column: string; // unquoted
}

/** Every table's row count, by qualified name. */
export async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const tables = await db.sql<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'm') ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = Number((await db.sql<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${name}`))[0]!.n);
  return counts;
}

/** The values of one column, as text, in primary-key order (or all columns' order when no key). */
export async function columnValues(db: TestDatabase, table: string, column: string, orderBy: string): Promise<Array<string | null>> {
  const rows = await db.sql<{ v: string | null }>(`SELECT ${quote(column)}::text AS v FROM ${table} ORDER BY ${orderBy}`);
  return rows.map((row) => row.v);
}

/** All user columns of all tables: `[qualified table, column]`. */
export async function allColumns(db: TestDatabase): Promise<Array<{ table: string; column: string }>> {
  return db.sql(`SELECT format('%I.%I', table_schema, table_name) AS table, column_name AS column FROM information_schema.columns
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')
                 ORDER BY 1, ordinal_position`);
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * Every value of one column as a sorted multiset, NULL kept apart from '': equal digests mean the same
 * values, byte for byte in their text form. Reads through a partitioned table into its partitions.
 */
export async function columnDigest(db: TestDatabase, table: string, column: string): Promise<string> {
  const rows = await db.sql<{ d: string | null }>(
    `SELECT md5(string_agg(CASE WHEN c IS NULL THEN 'NULL' ELSE 'v:' || c END, E'\\x01' ORDER BY c)) AS d
     FROM (SELECT ${quote(column)}::text AS c FROM ${table}) s`,
  );
  return rows[0]!.d ?? 'empty';
}
