import type { ClientBase } from 'pg';
import { ReplibyteError, withContext } from '../../errors.js';
import type { NamedTable } from '../../selection/table-selection.js';
import { qualifiedName, quoteIdentifier } from '../../sources/postgres/catalog.js';
import { tableLabel, type Relation, type RelationColumn, type SubsetStrategy } from '../plan.js';
import type { SubsetEngine } from '../walk.js';

/**
 * The PostgreSQL SQL of the subset walk. Kept keys live in one temporary table, created before the dump's
 * `REPEATABLE READ, READ ONLY` transaction begins: PostgreSQL refuses CREATE TABLE in a read-only
 * transaction but lets it write temporary tables, so the source stays read-only (enforced by the
 * server, even for a user's `where` condition) and every query sees the dump's snapshot.
 * See docs/decisions/0003-subset-keys-in-a-temporary-table.md.
 *
 * A key is stored as text[] (each key column's text form) with the id of its table, so the one table
 * needs no knowledge of the schema when it is created; every query casts the text back to the column's
 * type, so the source table's primary-key index can serve the lookups.
 */
export const KEEP_TABLE = 'pg_temp.replibyte_subset_keep';

export const CREATE_KEEP_TABLE = `
  CREATE TEMPORARY TABLE replibyte_subset_keep (
    tbl integer NOT NULL,
    key text[] NOT NULL,
    round integer NOT NULL,
    downward boolean NOT NULL,
    PRIMARY KEY (tbl, key)
  );
  CREATE INDEX ON replibyte_subset_keep (tbl, round);`;

/** How the rows of a table are named: its primary key, or its physical address when it has none. */
interface KeyPart {
  /** SQL on the row (qualified by the alias at use). */
  expression: string;
  /** The SQL type to cast the stored text back to. */
  type: string;
}

export interface SubsetRelationInfo extends NamedTable {
  kind: 'r' | 'p';
  /** Set for a partition: the partitioned table at the top of its tree. */
  root?: NamedTable;
  key: KeyPart[];
  columns: Array<{ name: string }>;
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
    columns: Array<{ name: string }>;
  }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
      rn.nspname AS root_schema, r.relname AS root_name,
      (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY k.position)
         FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, position)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key,
      (SELECT coalesce(json_agg(json_build_object('name', a.attname) ORDER BY a.attnum), '[]')
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

  private keyArray(table: NamedTable, alias: string): string {
    return `ARRAY[${this.info(table).key.map((part) => `${alias}.${part.expression}::text`).join(', ')}]`;
  }

  /** `(a.k1, a.k2) IN (SELECT kept keys of table …)`: the rows of `table` that are kept (filtered further by `where`). */
  private isKept(table: NamedTable, alias: string, keysOf: NamedTable, where = ''): string {
    const key = this.info(keysOf).key;
    const tuple = key.map((part) => `${alias}.${part.expression}`).join(', ');
    const casts = key.map((part, index) => `k.key[${index + 1}]::${part.type}`).join(', ');
    return `(${tuple}) IN (SELECT ${casts} FROM ${KEEP_TABLE} k WHERE k.tbl = ${this.id(keysOf)}${where})`;
  }

  private async run(text: string, what: string, values?: unknown[]): Promise<number> {
    try {
      return (await this.client.query(values ? { text, values } : text)).rowCount ?? 0;
    } catch (error) {
      throw withContext(`subset: ${what}`, error);
    }
  }

  async keepStart(table: NamedTable, strategy: SubsetStrategy): Promise<number> {
    const id = this.id(table);
    const key = this.keyArray(table, 't');
    if (strategy.kind === 'where') {
      // Bound parameters force the extended protocol, which runs exactly one statement: the condition
      // cannot smuggle a second one. (It could not write anyway: the transaction is read-only.)
      return this.run(
        `INSERT INTO ${KEEP_TABLE} (tbl, key, round, downward)
         SELECT $1::integer, ${key}, 0, true FROM ${this.from(table, 't')} WHERE (${strategy.condition})
         ON CONFLICT DO NOTHING`,
        `strategy where on ${tableLabel(table)} (condition: ${strategy.condition})`,
        [id],
      );
    }
    // A real random sample, repeatable: rows ordered by a hash of the seed and their key, the first
    // round(count × percent / 100) kept. Exact size, independent of the physical order of the rows.
    return this.run(
      `INSERT INTO ${KEEP_TABLE} (tbl, key, round, downward)
       SELECT $1::integer, s.key, 0, true
       FROM (SELECT ${key} AS key FROM ${this.from(table, 't')}) s
       ORDER BY md5($2::text || ':' || s.key::text), s.key
       LIMIT (SELECT round(count(*) * $3::numeric / 100)::bigint FROM ${this.from(table, 't')})`,
      `strategy random on ${tableLabel(table)}`,
      [id, strategy.seed, strategy.percent],
    );
  }

  async keepParents(relation: Relation, round: number, wholeChild: boolean): Promise<number> {
    const { child, parent } = relation;
    const parentTuple = relation.parentColumns.map((column) => `p.${quoteIdentifier(column)}`).join(', ');
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const keptChild = wholeChild ? 'true' : this.isKept(child, 'c', child, ` AND k.round = ${round - 1}`);
    return this.run(
      `INSERT INTO ${KEEP_TABLE} (tbl, key, round, downward)
       SELECT ${this.id(parent)}, ${this.keyArray(parent, 'p')}, ${round}, false
       FROM ${this.from(parent, 'p')}
       WHERE (${parentTuple}) IN (SELECT ${childTuple} FROM ${this.from(child, 'c')} WHERE ${keptChild})
       ON CONFLICT DO NOTHING`,
      `following ${relation.name} from ${tableLabel(child)} to ${tableLabel(parent)}`,
    );
  }

  async keepChildren(relation: Relation, round: number, limitPerParent: number): Promise<number> {
    const { child, parent } = relation;
    const parentTuple = relation.parentColumns.map((column) => `p.${quoteIdentifier(column)}`).join(', ');
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const order = this.info(child).key.map((part) => `c.${part.expression}`).join(', ');
    return this.run(
      `INSERT INTO ${KEEP_TABLE} AS kept (tbl, key, round, downward)
       SELECT ${this.id(child)}, s.key, ${round}, true
       FROM (SELECT ${this.keyArray(child, 'c')} AS key, row_number() OVER (PARTITION BY ${childTuple} ORDER BY ${order}) AS n
             FROM ${this.from(child, 'c')}
             WHERE (${childTuple}) IN (SELECT ${parentTuple} FROM ${this.from(parent, 'p')}
                                       WHERE ${this.isKept(parent, 'p', parent, ` AND k.downward AND k.round = ${round - 1}`)})) s
       WHERE s.n <= ${limitPerParent}
       ON CONFLICT (tbl, key) DO UPDATE SET downward = true, round = ${round} WHERE NOT kept.downward`,
      `adding children through ${relation.name} from ${tableLabel(parent)} to ${tableLabel(child)}`,
    );
  }

  async countRows(table: NamedTable): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.from(table, 't')}`);
    return Number(rows[0]!.n);
  }

  async countKept(table: NamedTable): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${KEEP_TABLE} WHERE tbl = ${this.id(table)}`);
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

