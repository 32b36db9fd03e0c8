import type { ClientBase } from 'pg';
import type { ColumnInfo } from '../../transformers/transformer.js';
import type { ForeignKey } from '../../selection/foreign-key.js';

/** One relation of the source database, as read inside the dump's snapshot. */
export interface TableInfo {
  schema: string;
  name: string;
  /** r: table (or leaf partition), p: partitioned table, f: foreign table, v: view, m: materialized view. */
  kind: 'r' | 'p' | 'f' | 'v' | 'm';
  /** Columns in attnum order, generated columns included (flagged). */
  columns: Array<ColumnInfo & { generated: boolean }>;
  /** The planner's row estimate (for progress), -1 when never analyzed. */
  estimatedRows: number;
  /**
   * The partitioned table a partition belongs to, the tables an inheritance child inherits from (in
   * declaration order): what the config names on them applies to this table too (table-tree.ts).
   */
  parents: Array<{ schema: string; name: string }>;
  /** A partitioned table's partition key: its columns, and the columns its expressions read. */
  partitionKey?: string[];
  /** The primary key's columns, in key order. */
  primaryKey?: string[];
}

export type ForeignKeyInfo = ForeignKey;

export interface SequenceInfo {
  schema: string;
  name: string;
  /** The table owning the sequence (serial or identity column), if any. */
  ownerSchema?: string;
  ownerTable?: string;
}

export interface Catalog {
  serverVersion: string;
  serverMajor: number;
  database: string;
  systemIdentifier?: string;
  schemas: string[];
  tables: TableInfo[];
  foreignKeys: ForeignKeyInfo[];
  sequences: SequenceInfo[];
}

const USER_RELATION = `
  n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

/** Reads what the dump needs to know of the source, in the caller's transaction (the snapshot). */
export async function readCatalog(client: ClientBase): Promise<Catalog> {
  const info = await client.query<{ version: string; num: string; db: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_database() AS db`,
  );
  const row = info.rows[0]!;
  const systemIdentifier = await client
    .query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')
    .then((result) => result.rows[0]?.id)
    .catch(() => undefined);
  const [schemas, tables, foreignKeys, sequences] = [
    await readSchemas(client),
    await readTables(client),
    await readForeignKeys(client),
    await readSequences(client),
  ];
  return {
    serverVersion: row.version.split(' ')[0]!,
    serverMajor: Math.floor(Number(row.num) / 10000),
    database: row.db,
    ...(systemIdentifier && { systemIdentifier }),
    schemas,
    tables,
    foreignKeys,
    sequences,
  };
}

async function readSchemas(client: ClientBase): Promise<string[]> {
  const result = await client.query<{ name: string }>(`
    SELECT n.nspname AS name FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
    ORDER BY 1`);
  return result.rows.map((r) => r.name);
}

async function readTables(client: ClientBase): Promise<TableInfo[]> {
  const result = await client.query<{
    schema: string;
    name: string;
    kind: TableInfo['kind'];
    estimated_rows: string;
    parents: Array<{ schema: string; name: string }>;
    partition_key: string[] | null;
    primary_key: string[] | null;
    columns: Array<{
      name: string; type: string; base_type: string; max_length: number | null; numeric_typmod: number | null; generated: boolean; enum_values: string[] | null;
      is_unique: boolean; not_null: boolean; checks: string[] | null; domain_checks: string[] | null;
    }>;
  }>(`
    -- A domain's base type through domains over domains, with the nearest length modifier.
    WITH RECURSIVE domains(oid, base, typmod) AS (
      SELECT t.oid, t.typbasetype, t.typtypmod FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype WHERE t.typtype = 'd' AND b.typtype <> 'd'
      UNION ALL
      SELECT t.oid, d.base, CASE WHEN t.typtypmod <> -1 THEN t.typtypmod ELSE d.typmod END
      FROM pg_type t JOIN domains d ON t.typbasetype = d.oid WHERE t.typtype = 'd'
    ),
    -- Each domain with the domains it is built on (their CHECKs all apply).
    domain_chain(oid, member) AS (
      SELECT t.oid, t.oid FROM pg_type t WHERE t.typtype = 'd'
      UNION ALL
      SELECT ch.oid, m.typbasetype FROM domain_chain ch JOIN pg_type m ON m.oid = ch.member JOIN pg_type b ON b.oid = m.typbasetype WHERE b.typtype = 'd'
    )
    SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples::bigint::text AS estimated_rows,
      coalesce(json_agg(json_build_object(
        'name', a.attname,
        'type', format_type(a.atttypid, a.atttypmod),
        'base_type', bt.typname,
        'max_length', CASE WHEN bt.typname IN ('varchar', 'bpchar') AND coalesce(nullif(dom.typmod, -1), a.atttypmod) > 4
                           THEN coalesce(nullif(dom.typmod, -1), a.atttypmod) - 4 END,
        'numeric_typmod', CASE WHEN bt.typname = 'numeric' THEN nullif(coalesce(nullif(dom.typmod, -1), a.atttypmod), -1) END,
        'generated', a.attgenerated <> '',
        'not_null', a.attnotnull,
        'enum_values', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid),
        'checks', (SELECT json_agg(pg_get_expr(co.conbin, co.conrelid) ORDER BY co.conname) FROM pg_constraint co
                   WHERE co.conrelid = c.oid AND co.contype = 'c' AND co.conkey = ARRAY[a.attnum]),
        'domain_checks', (SELECT json_agg(pg_get_expr(co.conbin, 0)) FROM domain_chain ch
                          JOIN pg_constraint co ON co.contypid = ch.member AND co.contype = 'c' WHERE ch.oid = t.oid),
        -- In any unique index: a key column (of several too), or a column its expressions or its
        -- predicate read (a partial index's rows are those its predicate selects). INCLUDE columns are not.
        'is_unique', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND (
                               a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                               OR ((i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AND NOT a.attnum = ANY (i.indkey::int2[])
                                   AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
                                               AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum))))
      ) ORDER BY a.attnum) FILTER (WHERE a.attnum IS NOT NULL), '[]') AS columns,
      (SELECT coalesce(json_agg(json_build_object('schema', pn.nspname, 'name', p.relname) ORDER BY i.inhseqno), '[]')
       FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
       WHERE i.inhrelid = c.oid) AS parents,
      -- The partition key's columns, and those its expressions read (recorded as internal dependencies).
      (SELECT json_agg(pa.attname ORDER BY pa.attnum) FROM pg_attribute pa
       WHERE c.relkind = 'p' AND pa.attrelid = c.oid AND pa.attnum > 0 AND (
         EXISTS (SELECT 1 FROM pg_partitioned_table pt WHERE pt.partrelid = c.oid AND pa.attnum = ANY (pt.partattrs::int2[]))
         OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.objsubid = pa.attnum
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = 0 AND d.deptype = 'i'))) AS partition_key,
      (SELECT json_agg(pa.attname ORDER BY k.i) FROM pg_index pi CROSS JOIN LATERAL unnest(pi.indkey::int2[]) WITH ORDINALITY k(attnum, i)
       JOIN pg_attribute pa ON pa.attrelid = c.oid AND pa.attnum = k.attnum WHERE pi.indrelid = c.oid AND pi.indisprimary) AS primary_key
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN domains dom ON dom.oid = t.oid
    LEFT JOIN pg_type bt ON bt.oid = coalesce(dom.base, t.oid)
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${USER_RELATION}
    GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reltuples
    ORDER BY 1, 2`);
  return result.rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    kind: r.kind,
    estimatedRows: Number(r.estimated_rows),
    parents: r.parents,
    ...(r.partition_key && { partitionKey: r.partition_key }),
    ...(r.primary_key && { primaryKey: r.primary_key }),
    columns: r.columns.map((column) => {
      const checks = [...(column.checks ?? []).map((check) => [check, column.name] as const), ...(column.domain_checks ?? []).map((check) => [check, 'VALUE'] as const)];
      const maxLength = lengthLimit(column.max_length, checks);
      return {
        schema: r.schema,
        table: r.name,
        name: column.name,
        type: column.type,
        baseType: column.base_type,
        generated: column.generated,
        ...(maxLength !== undefined && { maxLength }),
        ...(column.numeric_typmod !== null && { decimal: numericTypmod(column.numeric_typmod) }),
        ...(column.checks && { checks: column.checks }),
        ...(column.enum_values && { enumValues: column.enum_values }),
        ...(column.is_unique && { unique: true }),
        ...(column.not_null && { notNull: true }),
      };
    }),
  }));
}

/** numeric(p,s)'s type modifier: (p << 16 | s) + 4, the scale in 11 signed bits (PostgreSQL 15 allows it negative). */
function numericTypmod(typmod: number): { precision: number; scale: number } {
  const packed = typmod - 4;
  return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
}

/** `(length(code) < 20)`, `(char_length((VALUE)::text) <= 19)`: the operand and the bound of a length CHECK. */
const LENGTH_CHECK = /^\(*(?:char_length|character_length|length)\(\(*("(?:[^"]|"")+"|[^()"]+?)\)*(?:::[a-z ]+)?\)\s*(<=|<)\s*(\d+)\)*$/i;

/**
 * The declared length, narrowed by CHECKs that bound the length of the column (or of a domain's VALUE):
 * the fakes then fit them as they fit varchar(n). Other CHECKs are kept as they are (ColumnInfo.checks).
 */
function lengthLimit(declared: number | null, checks: ReadonlyArray<readonly [string, string]>): number | undefined {
  let limit = declared ?? undefined;
  for (const [check, operand] of checks) {
    const match = LENGTH_CHECK.exec(check);
    if (!match) continue;
    const name = match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replaceAll('""', '"') : match[1]!;
    if (name !== operand) continue;
    const bound = Number(match[3]) - (match[2] === '<' ? 1 : 0);
    limit = limit === undefined ? bound : Math.min(limit, bound);
  }
  return limit;
}

async function readForeignKeys(client: ClientBase): Promise<ForeignKeyInfo[]> {
  const result = await client.query<ForeignKeyInfo>(`
    SELECT con.conname AS name, n.nspname AS schema, c.relname AS table,
      (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
      rn.nspname AS "referencedSchema", rc.relname AS "referencedTable",
      (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS "referencedColumns"
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE con.contype = 'f' AND con.conparentid = 0 AND ${USER_RELATION}
    ORDER BY 2, 3, 1`);
  return result.rows;
}

async function readSequences(client: ClientBase): Promise<SequenceInfo[]> {
  const result = await client.query<{ schema: string; name: string; owner_schema: string | null; owner_table: string | null }>(`
    SELECT n.nspname AS schema, c.relname AS name, tn.nspname AS owner_schema, t.relname AS owner_table
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i')
    LEFT JOIN pg_class t ON t.oid = d.refobjid
    LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE c.relkind = 'S' AND ${USER_RELATION}
    ORDER BY 1, 2`);
  return result.rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    ...(r.owner_table !== null && { ownerSchema: r.owner_schema!, ownerTable: r.owner_table }),
  }));
}

/** `"schema"."name"`, quoted as PostgreSQL wants identifiers. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
