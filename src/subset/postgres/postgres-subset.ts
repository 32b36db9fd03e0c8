import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { ReplibyteError, withContext } from '../../errors.js';
import type { NamedTable } from '../../selection/table-selection.js';
import { qualifiedName, quoteIdentifier } from '../../engines/postgres/catalog.js';
import { sameTable, sampleBound, subsetTableKey, tableLabel, type Relation, type RelationColumn, type SubsetPlan, type SubsetStrategy } from '../plan.js';
import type { RowCount } from '../report.js';
import type { SubsetEngine } from '../walk.js';

/**
 * The PostgreSQL SQL of the subset walk (docs/decisions/0040). Every table the walk can reach gets a
 * temporary *keep table*: a copy of its columns (`LIKE`), plus the walk's bookkeeping. A step of the walk
 * reads the source table once and copies the rows it keeps into the keep table, whole; every later
 * question about those rows (the parents they reference, the children of them, the rows to dump) reads
 * the keep table, never the source table again. The source's large tables are read once each, where the
 * old key tables read them up to three times (to find the rows, to follow their references, to dump them).
 *
 * The keep tables are created inside the dump's transaction, after its snapshot is taken and before the
 * transaction is made READ ONLY (PostgreSQL refuses CREATE in a read-only transaction, but lets it write
 * temporary tables, and lets a transaction turn read-only at any point): no statement of the user's (a
 * `where`, an `order_by`) runs before it is read-only, so the source stays read-only, enforced by the server.
 */

/** How the rows of a table are named: its primary key, or its physical address when it has none. */
interface KeyPart {
  /** SQL on the row (qualified by the alias at use). */
  expression: string;
  /** The column's SQL type, with its collation when it has one (`text COLLATE "C"`). */
  type: string;
  /** The key's column in the keep table: the source column itself, or an added one for ctid/tableoid. */
  keepColumn: string;
}

/** The walk's own columns in a keep table (a dot in a column name: no source column of a sane schema clashes). */
const ROUND = '"replibyte.round"';
const DOWNWARD = '"replibyte.downward"';
/** For a partitioned table: the partition a row lies in (its `tableoid`), so each partition dumps its own rows. */
const PARTITION = '"replibyte.partition"';

/** The session's temporary-table buffers (docs/decisions/0026). */
export const KEEP_TABLE_BUFFERS = '256MB';
/** The walk's sorts and hash joins, for the dump's transaction only (docs/decisions/0026). */
export const WALK_WORK_MEM = '64MB';

/** Tables smaller than this are counted for the report; larger ones (when analysed) are estimated. */
const EXACT_COUNT_BYTES = 32 * 1024 * 1024;

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
    const key: KeyPart[] = row.primary_key
      ? row.primary_key.map((column) => ({ expression: quoteIdentifier(column.name), type: column.type, keepColumn: quoteIdentifier(column.name) }))
      : row.kind === 'p' || row.root_name !== null
        ? [
            { expression: 'tableoid', type: 'oid', keepColumn: '"replibyte.tableoid"' },
            { expression: 'ctid', type: 'tid', keepColumn: '"replibyte.ctid"' },
          ]
        : [{ expression: 'ctid', type: 'tid', keepColumn: '"replibyte.ctid"' }];
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

/** The tables the walk may keep rows of: its starts and both ends of its relations (passthrough tables are read whole). */
export function reachableTables(plan: SubsetPlan): NamedTable[] {
  const tables: NamedTable[] = [];
  const add = (table: NamedTable) => {
    if (!plan.passthrough.some((t) => sameTable(t, table)) && !tables.some((t) => sameTable(t, table))) tables.push(table);
  };
  for (const target of plan.targets) add(target.table);
  for (const relation of plan.relations) {
    add(relation.child);
    add(relation.parent);
  }
  return tables;
}

/** A 64-bit seed for the sample's hash, from the config's seed (any string). */
export function sampleSeed(seed: string): string {
  return createHash('sha256').update(seed).digest().readBigInt64BE(0).toString();
}

/**
 * The sample's bound as PostgreSQL's signed bigint (its hash functions return signed values): the
 * unsigned rule of sampleBound, shifted by 2^63. Undefined when every row is kept.
 */
export function sampleThreshold(percent: number): string | undefined {
  const bound = sampleBound(percent);
  return bound === undefined ? undefined : (bound - (1n << 63n)).toString();
}

export class PostgresSubsetEngine implements SubsetEngine {
  private readonly keepTables = new Map<string, string>();
  /** Keep tables grown since they were last analysed: analysed when a step next reads them, not before. */
  private readonly unanalysed = new Set<string>();

  constructor(
    private readonly client: ClientBase,
    /** The tables of the walk (roots only: a partition is read through its partitioned table). */
    private readonly relations: SubsetRelationInfo[],
  ) {}

  /**
   * Creates a keep table for each table the walk may reach. Must run before the transaction is made read-only.
   * The session's temp_buffers must have been set before its first temporary table (see openPostgresSource).
   */
  async createKeepTables(tables: readonly NamedTable[]): Promise<void> {
    for (const [index, table] of tables.entries()) {
      const info = this.info(table);
      const name = `replibyte_keep_${index + 1}`;
      const systemKey = info.key.filter((part) => part.keepColumn.startsWith('"replibyte.'));
      const extra = [
        ...systemKey.map((part) => `${part.keepColumn} ${part.type} NOT NULL`),
        ...(info.kind === 'p' ? [`${PARTITION} oid NOT NULL`] : []),
        `${ROUND} integer NOT NULL`,
        `${DOWNWARD} boolean NOT NULL`,
        `PRIMARY KEY (${info.key.map((part) => part.keepColumn).join(', ')})`,
      ];
      await this.client.query(`CREATE TEMPORARY TABLE ${name} (LIKE ${qualifiedName(table.schema, table.name)}, ${extra.join(', ')})`);
      this.keepTables.set(subsetTableKey(table), `pg_temp.${name}`);
    }
  }

  private info(table: NamedTable): SubsetRelationInfo {
    const found = this.relations.find((r) => r.schema === table.schema && r.name === table.name);
    if (!found) throw new ReplibyteError(`subset: ${tableLabel(table)} is not a table of the source`);
    return found;
  }

  private keepTableOf(table: NamedTable): string {
    const name = this.keepTables.get(subsetTableKey(table));
    if (!name) throw new ReplibyteError(`subset: ${tableLabel(table)} has no keep table (internal error: it is not a table the plan reaches)`);
    return name;
  }

  /** `ONLY t` for a plain table (its inheritance children are tables of their own); the whole tree for a partitioned one. */
  private from(table: NamedTable, alias: string): string {
    const info = this.info(table);
    return `${info.kind === 'p' ? '' : 'ONLY '}${qualifiedName(table.schema, table.name)} ${alias}`;
  }

  /**
   * What a step copies into the keep table, column by column (the round and downward are the caller's):
   * the row's columns, its system key (ctid, tableoid) when it has no primary key, its partition.
   */
  private keptValues(table: NamedTable, alias: string): Array<{ column: string; value: string }> {
    const info = this.info(table);
    const systemKey = info.key.filter((part) => part.keepColumn.startsWith('"replibyte.'));
    return [
      ...info.columns.map((c) => ({ column: quoteIdentifier(c.name), value: `${alias}.${quoteIdentifier(c.name)}` })),
      ...systemKey.map((part) => ({ column: part.keepColumn, value: `${alias}.${part.expression}` })),
      ...(info.kind === 'p' ? [{ column: PARTITION, value: `${alias}.tableoid` }] : []),
    ];
  }

  /** `INSERT INTO keep (c…, round, downward)`. */
  private insertInto(table: NamedTable, as = ''): string {
    const columns = [...this.keptValues(table, 't').map((v) => v.column), ROUND, DOWNWARD];
    return `INSERT INTO ${this.keepTableOf(table)}${as} (${columns.join(', ')})`;
  }

  /** The source row's values for insertInto, without the round and downward. */
  private rowValues(table: NamedTable, alias: string): string {
    return this.keptValues(table, alias)
      .map((v) => v.value)
      .join(', ');
  }

  private keyOf(table: NamedTable): string {
    return this.info(table).key.map((part) => part.keepColumn).join(', ');
  }

  /**
   * Runs one step of the walk, which adds rows to the keep table of `table` and reads those of `reads`. A
   * temporary table is never analysed by autovacuum: without statistics the planner takes a keep table
   * for a handful of rows (decision 0026), so a keep table that grew is analysed before a step reads it
   * (a sample of its rows). One that no step reads again (a leaf's parents) is never analysed: the dump's
   * COPY of it needs no plan.
   */
  private async run(text: string, what: string, table: NamedTable, values: unknown[] | undefined, reads: NamedTable[]): Promise<number> {
    try {
      for (const read of reads) {
        const keep = this.keepTables.get(subsetTableKey(read));
        if (keep && this.unanalysed.delete(keep)) await this.client.query(`ANALYZE ${keep}`);
      }
      const added = (await this.client.query(values ? { text, values } : text)).rowCount ?? 0;
      if (added > 0) this.unanalysed.add(this.keepTableOf(table));
      return added;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // The kept rows are copied into temporary tables on the source server: say so when its room runs out.
      if (code === '53400' || code === '53100') {
        throw new ReplibyteError(
          `subset: ${what}: the source server ran out of room for the kept rows (${(error as Error).message}); the subset copies its kept rows into temporary tables there (docs/decisions/0040): raise temp_file_limit or free its disk, or keep fewer rows`,
        );
      }
      throw withContext(`subset: ${what}`, error);
    }
  }

  async keepStart(table: NamedTable, strategy: SubsetStrategy, room?: number): Promise<number> {
    const key = this.info(table).key;
    const byKey = key.map((part) => `t.${part.expression}`).join(', ');
    const insert = this.insertInto(table);
    // The round is a bound parameter ($1) so that every start runs on the extended protocol (see below).
    const select = `SELECT ${this.rowValues(table, 't')}, $1::integer, true FROM ${this.from(table, 't')}`;
    const limit = (rows: number | undefined) => (rows === undefined ? '' : `LIMIT ${Math.floor(rows)}`);
    // Bound parameters force the extended protocol, which runs exactly one statement: a condition or an
    // order cannot smuggle a second one. (It could not write anyway: the transaction is read-only.)
    if (strategy.kind === 'where' || strategy.kind === 'keys') {
      const condition = strategy.kind === 'where' ? `(${strategy.condition})` : `t.${quoteIdentifier(strategy.column)} = ANY($2::text[]::${this.columnType(table, strategy.column)}[])`;
      const what =
        strategy.kind === 'where'
          ? `strategy where on ${tableLabel(table)} (condition: ${strategy.condition})`
          : `include ${tableLabel(table)}:${strategy.column}=${strategy.values.join(',')}`;
      return this.run(
        `${insert} ${select} WHERE ${condition} ${room === undefined ? '' : `ORDER BY ${byKey} ${limit(room)}`} ON CONFLICT DO NOTHING`,
        what,
        table,
        strategy.kind === 'where' ? [0] : [0, strategy.values],
        [],
      );
    }
    if (strategy.kind === 'limit') {
      return this.run(
        `${insert} ${select} ORDER BY ${strategy.orderBy ? `${strategy.orderBy}, ` : ''}${byKey} ${limit(room === undefined ? strategy.rows : Math.min(strategy.rows, room))} ON CONFLICT DO NOTHING`,
        `target limit on ${tableLabel(table)}${strategy.orderBy ? ` (order_by: ${strategy.orderBy})` : ''}`,
        table,
        [0],
        [],
      );
    }
    // A repeatable random sample (decision 0040): a row is kept when the seeded 64-bit hash of its key's
    // text falls under the percent's share of the hash range. One pass over the table, no sort and no
    // count; a row's fate depends on its key and the seed only. With a max_rows, the smallest hashes first.
    const hash = `hashtextextended(concat_ws(E'\\x1f', ${key.map((part) => `t.${part.expression}::text`).join(', ')}), $2::bigint)`;
    const threshold = sampleThreshold(strategy.percent);
    const conditions = threshold === undefined ? '' : `WHERE ${hash} < $3::bigint`;
    return this.run(
      `${insert} ${select} ${conditions} ${room === undefined ? '' : `ORDER BY ${hash}, ${byKey} ${limit(room)}`} ON CONFLICT DO NOTHING`,
      `strategy random on ${tableLabel(table)}`,
      table,
      threshold === undefined ? [0, sampleSeed(strategy.seed)] : [0, sampleSeed(strategy.seed), threshold],
      [],
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
    // The referencing values come from the child's kept rows (its keep table), or from the whole child
    // table when it is passed through.
    const referenced = wholeChild
      ? `SELECT ${childTuple} FROM ${this.from(child, 'c')}`
      : `SELECT ${childTuple} FROM ${this.keepTableOf(child)} c WHERE c.${ROUND} = ${round - 1}`;
    return this.run(
      `${this.insertInto(parent)}
       SELECT ${this.rowValues(parent, 'p')}, ${round}, false
       FROM ${this.from(parent, 'p')}
       WHERE (${parentTuple}) IN (${referenced})
       ON CONFLICT DO NOTHING`,
      `following ${relation.name} from ${tableLabel(child)} to ${tableLabel(parent)}`,
      parent,
      undefined,
      wholeChild ? [] : [child],
    );
  }

  async keepChildren(relation: Relation, round: number, limitPerParent: number, room?: number): Promise<number> {
    const { child, parent } = relation;
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const key = this.info(child).key;
    const order = key.map((part) => `c.${part.expression}`).join(', ');
    // The source row's values under positional names (s.v0, s.v1, …): a column's own name could clash
    // with the window's.
    const kept = this.keptValues(child, 'c');
    const named = kept.map((v, index) => `${v.value} AS v${index}`).join(', ');
    const values = kept.map((_, index) => `s.v${index}`).join(', ');
    const keyValues = key.map((part) => `s.v${kept.findIndex((v) => v.column === part.keepColumn)}`).join(', ');
    const parents = `SELECT ${relation.parentColumns.map((column) => `k.${quoteIdentifier(column)}`).join(', ')} FROM ${this.keepTableOf(parent)} k WHERE k.${DOWNWARD} AND k.${ROUND} = ${round - 1}`;
    return this.run(
      `${this.insertInto(child, ' AS kept')}
       SELECT ${values}, ${round}, true
       FROM (SELECT ${named}, row_number() OVER (PARTITION BY ${childTuple} ORDER BY ${order}) AS replibyte_n
             FROM ${this.from(child, 'c')}
             WHERE (${childTuple}) IN (${parents})) s
       WHERE s.replibyte_n <= ${limitPerParent}${room === undefined ? '' : `
       ORDER BY s.replibyte_n, ${keyValues} LIMIT ${Math.floor(room)}`}
       ON CONFLICT (${this.keyOf(child)}) DO UPDATE SET ${DOWNWARD} = true, ${ROUND} = ${round} WHERE NOT kept.${DOWNWARD}`,
      `adding children through ${relation.name} from ${tableLabel(parent)} to ${tableLabel(child)}`,
      child,
      undefined,
      [parent, child],
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
    if (!this.keepTables.has(subsetTableKey(table))) return 0;
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.keepTableOf(table)}`);
    return Number(rows[0]!.n);
  }

  /**
   * The `COPY (…) TO STDOUT` of the kept rows of `table`: a table of the walk, or a partition whose
   * partitioned table (`keysOf`) is one. They are read from the keep table, not the source.
   */
  keptRowsCopy(table: NamedTable, columns: string[], keysOf: NamedTable): string {
    const list = columns.map((column) => `k.${quoteIdentifier(column)}`).join(', ');
    const partition = sameTable(table, keysOf) ? '' : ` WHERE k.${PARTITION} = '${qualifiedName(table.schema, table.name).replaceAll("'", "''")}'::regclass`;
    return `COPY (SELECT ${list} FROM ${this.keepTableOf(keysOf)} k${partition}) TO STDOUT`;
  }
}

function childColumnSql(column: RelationColumn, alias: string): string {
  // An expression is written against the row without an alias (`payload->>'id'`): the child table (or
  // its keep table, which has the same columns) is the only one in scope where it is evaluated.
  return 'column' in column ? `${alias}.${quoteIdentifier(column.column)}` : `(${column.expression})`;
}
