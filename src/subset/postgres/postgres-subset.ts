import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { ReplibyteError, withContext } from '../../errors.js';
import type { NamedTable } from '../../selection/table-selection.js';
import { qualifiedName, quoteIdentifier } from '../../engines/postgres/catalog.js';
import { tableLabel, type Relation, type RelationColumn, type SubsetStrategy } from '../plan.js';
import type { RowCount } from '../report.js';
import type { SubsetEngine } from '../walk.js';

/**
 * The PostgreSQL SQL of the subset walk. Kept keys live in temporary tables, created before the dump's
 * `REPEATABLE READ, READ ONLY` transaction begins: PostgreSQL refuses CREATE TABLE in a read-only
 * transaction but lets it write temporary tables, so the source stays read-only (enforced by the
 * server, even for a user's `where` condition) and every query sees the dump's snapshot.
 * See docs/decisions/0003-subset-keys-in-a-temporary-table.md.
 *
 * One temporary table per *key signature* (the types of a primary key's columns: `bigint`,
 * `bigint, integer`, `tid`, …), shared by the tables whose keys have it and told apart by a table id:
 * keys are stored in their own types, so inserting and matching them costs what an index on the source's
 * key costs, with no text conversion. The signatures are read just before the snapshot; a key whose type
 * changed in between finds no table and the dump stops with an error saying so.
 */

/** How the rows of a table are named: its primary key, or its physical address when it has none. */
interface KeyPart {
  /** SQL on the row (qualified by the alias at use). */
  expression: string;
  /** The column's SQL type, with its collation when it has one (`text COLLATE "C"`). */
  type: string;
}

/** The temporary table that holds the kept keys of tables whose keys have these types. */
function keepTableOf(key: readonly KeyPart[]): string {
  const signature = key.map((part) => part.type).join(', ');
  return `pg_temp.replibyte_keep_${createHash('sha256').update(signature).digest('hex').slice(0, 16)}`;
}

/** The session's temporary-table buffers (docs/decisions/0026). */
const KEEP_TABLE_BUFFERS = '256MB';
/** The walk's sorts (the random sample) and hash joins, for the dump's transaction only (docs/decisions/0026). */
export const WALK_WORK_MEM = '64MB';

/** Tables smaller than this are counted for the report; larger ones (when analysed) are estimated. */
const EXACT_COUNT_BYTES = 32 * 1024 * 1024;

/** Key column names in a keep table: k1, k2, … */
const keyColumns = (key: readonly KeyPart[]) => key.map((_, index) => `k${index + 1}`);

/**
 * Creates the keep tables for every key signature of the source, before the dump's read-only
 * transaction begins (it could not create them). Tables the walk never reaches cost an empty table.
 */
export async function createKeepTables(client: ClientBase): Promise<void> {
  // Temporary tables live in the session's own buffers, 8 MB by default: a walk keeping a few hundred
  // thousand keys would write and re-read them through temporary files. The setting only takes effect
  // before the session first touches a temporary table (now), and memory is taken only as it is used.
  await client.query(`SET temp_buffers = '${KEEP_TABLE_BUFFERS}'`);
  const signatures = new Map<string, KeyPart[]>();
  for (const relation of await readSubsetRelations(client)) signatures.set(keepTableOf(relation.key), relation.key);
  for (const [table, key] of signatures) {
    const columns = keyColumns(key);
    await client.query(`
      CREATE TEMPORARY TABLE ${table.slice('pg_temp.'.length)} (
        tbl integer NOT NULL,
        ${key.map((part, index) => `${columns[index]} ${part.type} NOT NULL`).join(',\n        ')},
        round integer NOT NULL,
        downward boolean NOT NULL,
        PRIMARY KEY (tbl, ${columns.join(', ')})
      );
      CREATE INDEX ON ${table.slice('pg_temp.'.length)} (tbl, round);`);
  }
}

export interface SubsetRelationInfo extends NamedTable {
  kind: 'r' | 'p';
  /** Set for a partition: the partitioned table at the top of its tree. */
  root?: NamedTable;
  key: KeyPart[];
  columns: Array<{ name: string; type: string }>;
}

/** Tables and partitioned tables with what the walk needs beyond the common catalog. */
export async function readSubsetRelations(client: ClientBase): Promise<SubsetRelationInfo[]> {
  const result = await client.query<{
    schema: string;
    name: string;
    kind: 'r' | 'p';
    root_schema: string | null;
    root_name: string | null;
    primary_key: Array<{ name: string; type: string }> | null;
    columns: Array<{ name: string; type: string }>;
  }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
      rn.nspname AS root_schema, r.relname AS root_name,
      (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)
                 || CASE WHEN a.attcollation <> 0 THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END)
               ORDER BY k.position)
         FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, position)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
         WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key,
      (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]')
         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
    LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    ORDER BY 1, 2`);
  return result.rows.map((row) => {
    // Without a primary key a row is named by where it lies: valid for the snapshot, which is all we need.
    // Across partitions ctid repeats, so the partition (tableoid) is part of the name.
    const key = row.primary_key
      ? row.primary_key.map((column) => ({ expression: quoteIdentifier(column.name), type: column.type }))
      : row.kind === 'p' || row.root_name !== null
        ? [{ expression: 'tableoid', type: 'oid' }, { expression: 'ctid', type: 'tid' }]
        : [{ expression: 'ctid', type: 'tid' }];
    return {
      schema: row.schema,
      name: row.name,
      kind: row.kind,
      ...(row.root_name !== null && { root: { schema: row.root_schema!, name: row.root_name } }),
      key,
      columns: row.columns,
    };
  });
}

export class PostgresSubsetEngine implements SubsetEngine {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly client: ClientBase,
    /** The tables of the walk (roots only: a partition is read through its partitioned table). */
    private readonly relations: SubsetRelationInfo[],
  ) {
    relations.forEach((relation, index) => this.ids.set(JSON.stringify([relation.schema, relation.name]), index + 1));
  }

  private info(table: NamedTable): SubsetRelationInfo {
    const found = this.relations.find((r) => r.schema === table.schema && r.name === table.name);
    if (!found) throw new ReplibyteError(`subset: ${tableLabel(table)} is not a table of the source`);
    return found;
  }

  private id(table: NamedTable): number {
    return this.ids.get(JSON.stringify([table.schema, table.name]))!;
  }

  /** `ONLY t` for a plain table (its inheritance children are tables of their own); the whole tree for a partitioned one. */
  private from(table: NamedTable, alias: string): string {
    const info = this.info(table);
    return `${info.kind === 'p' ? '' : 'ONLY '}${qualifiedName(table.schema, table.name)} ${alias}`;
  }

  /** The key columns of a table's rows, as `alias.col AS k1, …` (as) or `alias.col, …`. */
  private keyList(table: NamedTable, alias: string, as = false): string {
    const key = this.info(table).key;
    const names = keyColumns(key);
    return key.map((part, index) => `${alias}.${part.expression}${as ? ` AS ${names[index]}` : ''}`).join(', ');
  }

  /** `keep (tbl, k1, …, round, downward)`: the insert target for `table`'s keys. */
  private keepTarget(table: NamedTable): string {
    const key = this.info(table).key;
    return `${keepTableOf(key)} (tbl, ${keyColumns(key).join(', ')}, round, downward)`;
  }

  /** `(a.k1, a.k2) IN (SELECT kept keys of table …)`: the rows of `table` that are kept (filtered further by `where`). */
  private isKept(table: NamedTable, alias: string, keysOf: NamedTable, where = ''): string {
    const key = this.info(keysOf).key;
    const tuple = key.map((part) => `${alias}.${part.expression}`).join(', ');
    return `(${tuple}) IN (SELECT ${keyColumns(key).map((c) => `k.${c}`).join(', ')} FROM ${keepTableOf(key)} k WHERE k.tbl = ${this.id(keysOf)}${where})`;
  }

  /**
   * Runs one step of the walk, which adds keys to `keepTable`. A temporary table is never analysed by
   * autovacuum: without statistics the planner takes a keep table for a handful of rows and probes the
   * source's indexes once per kept key (200,000 probes where one hash join would do), so the table is
   * analysed after every step that grew it (a sample of its rows: milliseconds).
   */
  private async run(text: string, what: string, keepTable: string, values?: unknown[]): Promise<number> {
    try {
      const added = (await this.client.query(values ? { text, values } : text)).rowCount ?? 0;
      if (added > 0) await this.client.query(`ANALYZE ${keepTable}`);
      return added;
    } catch (error) {
      // 42P01 on one of our tables: a key's type changed between reading the signatures and the snapshot.
      if ((error as { code?: string }).code === '42P01' && String((error as Error).message).includes('replibyte_keep_')) {
        throw new ReplibyteError(`subset: ${what}: the source's schema changed while the dump was starting (a primary key's type); run it again`);
      }
      throw withContext(`subset: ${what}`, error);
    }
  }

  async keepStart(table: NamedTable, strategy: SubsetStrategy, room?: number): Promise<number> {
    const id = this.id(table);
    const target = this.keepTarget(table);
    const key = this.info(table).key;
    const names = keyColumns(key).map((c) => `s.${c}`).join(', ');
    const byKey = key.map((part) => `t.${part.expression}`).join(', ');
    const capped = (limit: string) => (room === undefined ? limit : `least(${limit}, ${Math.floor(room)})`);
    // Bound parameters force the extended protocol, which runs exactly one statement: a condition or an
    // order cannot smuggle a second one. (It could not write anyway: the transaction is read-only.)
    if (strategy.kind === 'where' || strategy.kind === 'keys') {
      const condition = strategy.kind === 'where' ? `(${strategy.condition})` : `t.${quoteIdentifier(strategy.column)} = ANY($2::text[]::${this.columnType(table, strategy.column)}[])`;
      const what =
        strategy.kind === 'where'
          ? `strategy where on ${tableLabel(table)} (condition: ${strategy.condition})`
          : `include ${tableLabel(table)}:${strategy.column}=${strategy.values.join(',')}`;
      return this.run(
        `INSERT INTO ${target}
         SELECT $1::integer, ${this.keyList(table, 't')}, 0, true FROM ${this.from(table, 't')} WHERE ${condition}
         ${room === undefined ? '' : `ORDER BY ${byKey} LIMIT ${Math.floor(room)}`}
         ON CONFLICT DO NOTHING`,
        what,
        keepTableOf(key),
        strategy.kind === 'where' ? [id] : [id, strategy.values],
      );
    }
    if (strategy.kind === 'limit') {
      return this.run(
        `INSERT INTO ${target}
         SELECT $1::integer, ${this.keyList(table, 't')}, 0, true FROM ${this.from(table, 't')}
         ORDER BY ${strategy.orderBy ? `${strategy.orderBy}, ` : ''}${byKey} LIMIT ${capped(String(strategy.rows))}
         ON CONFLICT DO NOTHING`,
        `target limit on ${tableLabel(table)}${strategy.orderBy ? ` (order_by: ${strategy.orderBy})` : ''}`,
        keepTableOf(key),
        [id],
      );
    }
    // A real random sample, repeatable: rows ordered by a hash of the seed and their key (its columns'
    // text forms as a text[]), the first round(count × percent / 100) kept. Exact size, independent of
    // the physical order of the rows, and the same rows as when keys were stored as text. The md5 is
    // sorted as a uuid (its 16 bytes: the same order as its hex text, compared without a collation),
    // ties (two keys with one md5) broken by the key: the sort's rows stay narrow enough for a
    // top-N heap sort in memory instead of sorting every row of the table on disk (decision 0026).
    const asText = `ARRAY[${key.map((part) => `t.${part.expression}::text`).join(', ')}]::text`;
    return this.run(
      `INSERT INTO ${target}
       SELECT $1::integer, ${names}, 0, true
       FROM (SELECT ${this.keyList(table, 't', true)}, md5($2::text || ':' || ${asText})::uuid AS replibyte_hash FROM ${this.from(table, 't')}) s
       ORDER BY s.replibyte_hash, ${names}
       LIMIT ${capped(`(SELECT round(count(*) * $3::numeric / 100)::bigint FROM ${this.from(table, 't')})`)}
       ON CONFLICT DO NOTHING`,
      `strategy random on ${tableLabel(table)}`,
      keepTableOf(key),
      [id, strategy.seed, strategy.percent],
    );
  }

  /** The SQL type of a column (`--include` values are cast to it). */
  private columnType(table: NamedTable, column: string): string {
    const type = this.info(table).columns.find((c) => c.name === column)?.type;
    if (!type) throw new ReplibyteError(`subset: no column ${column} in ${tableLabel(table)}`);
    return type;
  }

  async keepParents(relation: Relation, round: number, wholeChild: boolean): Promise<number> {
    const { child, parent } = relation;
    const parentTuple = relation.parentColumns.map((column) => `p.${quoteIdentifier(column)}`).join(', ');
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const keptChild = wholeChild ? 'true' : this.isKept(child, 'c', child, ` AND k.round = ${round - 1}`);
    return this.run(
      `INSERT INTO ${this.keepTarget(parent)}
       SELECT ${this.id(parent)}, ${this.keyList(parent, 'p')}, ${round}, false
       FROM ${this.from(parent, 'p')}
       WHERE (${parentTuple}) IN (SELECT ${childTuple} FROM ${this.from(child, 'c')} WHERE ${keptChild})
       ON CONFLICT DO NOTHING`,
      `following ${relation.name} from ${tableLabel(child)} to ${tableLabel(parent)}`,
      keepTableOf(this.info(parent).key),
    );
  }

  async keepChildren(relation: Relation, round: number, limitPerParent: number, room?: number): Promise<number> {
    const { child, parent } = relation;
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const key = this.info(child).key;
    const order = key.map((part) => `c.${part.expression}`).join(', ');
    const names = keyColumns(key);
    const fromParent = ` AND k.downward AND k.round = ${round - 1}`;
    // When the relation references the parent's key (as a rule), the kept keys are the referenced
    // values: no need to read the parent table to learn them.
    const parentKey = this.info(parent).key;
    const referencesKey =
      parentKey.length === relation.parentColumns.length && relation.parentColumns.every((column, i) => quoteIdentifier(column) === parentKey[i]!.expression);
    const parents = referencesKey
      ? `SELECT ${keyColumns(parentKey).map((c) => `k.${c}`).join(', ')} FROM ${keepTableOf(parentKey)} k WHERE k.tbl = ${this.id(parent)}${fromParent}`
      : `SELECT ${relation.parentColumns.map((column) => `p.${quoteIdentifier(column)}`).join(', ')} FROM ${this.from(parent, 'p')}
                                       WHERE ${this.isKept(parent, 'p', parent, fromParent)}`;
    return this.run(
      `INSERT INTO ${keepTableOf(key)} AS kept (tbl, ${names.join(', ')}, round, downward)
       SELECT ${this.id(child)}, ${names.map((c) => `s.${c}`).join(', ')}, ${round}, true
       FROM (SELECT ${this.keyList(child, 'c', true)}, row_number() OVER (PARTITION BY ${childTuple} ORDER BY ${order}) AS n
             FROM ${this.from(child, 'c')}
             WHERE (${childTuple}) IN (${parents})) s
       WHERE s.n <= ${limitPerParent}${room === undefined ? '' : `
       ORDER BY s.n, ${names.map((c) => `s.${c}`).join(', ')} LIMIT ${Math.floor(room)}`}
       ON CONFLICT (tbl, ${names.join(', ')}) DO UPDATE SET downward = true, round = ${round} WHERE NOT kept.downward`,
      `adding children through ${relation.name} from ${tableLabel(parent)} to ${tableLabel(child)}`,
      keepTableOf(key),
    );
  }

  async countRows(table: NamedTable): Promise<RowCount> {
    // The planner's estimate for a large table that has been analysed: counting would scan it whole,
    // for one line of the report (on the benchmark, a third of the subset's time went to counting).
    const { rows: stats } = await this.client.query<{ estimate: string; unknown: boolean | null; bytes: string }>(
      `SELECT coalesce(sum(c.reltuples) FILTER (WHERE c.reltuples >= 0), 0)::bigint::text AS estimate, bool_or(c.reltuples < 0) AS unknown,
              coalesce(sum(pg_relation_size(c.oid)), 0)::text AS bytes
       FROM pg_class c
       WHERE c.relkind = 'r' AND (c.oid = $1::regclass OR c.oid IN (SELECT relid FROM pg_partition_tree($1::regclass)))`,
      [qualifiedName(table.schema, table.name)],
    );
    const stat = stats[0];
    if (stat && stat.unknown === false && Number(stat.bytes) >= EXACT_COUNT_BYTES) return { rows: Number(stat.estimate), estimated: true };
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.from(table, 't')}`);
    return { rows: Number(rows[0]!.n), estimated: false };
  }

  async countKept(table: NamedTable): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${keepTableOf(this.info(table).key)} WHERE tbl = ${this.id(table)}`);
    return Number(rows[0]!.n);
  }

  /**
   * The `COPY (…) TO STDOUT` of the kept rows of `table`: a table of the walk, or a partition whose
   * partitioned table is one (its rows are named by the partitioned table's key).
   */
  keptRowsCopy(table: NamedTable, columns: string[], keysOf: NamedTable): string {
    const list = columns.map((column) => `t.${quoteIdentifier(column)}`).join(', ');
    return `COPY (SELECT ${list} FROM ONLY ${qualifiedName(table.schema, table.name)} t WHERE ${this.isKept(table, 't', keysOf)}) TO STDOUT`;
  }
}

function childColumnSql(column: RelationColumn, alias: string): string {
  // An expression is written against the row without an alias (`payload->>'id'`): the child table is
  // the only one in scope where it is evaluated.
  return 'column' in column ? `${alias}.${quoteIdentifier(column.column)}` : `(${column.expression})`;
}

