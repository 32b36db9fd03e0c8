import { randomBytes } from 'node:crypto';
import mysql from 'mysql2';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ByteBuilder } from '../../encode/mysql/byte-builder.js';
import { writeLiteral } from '../../encode/mysql/sql-literal.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { NamedTable } from '../../selection/table-selection.js';
import type { MysqlTableInfo } from '../../engines/mysql/catalog.js';
import { literalKindOf, type LiteralKind } from '../../engines/mysql/column-types.js';
import { streamingConnection } from '../../engines/mysql/connection.js';
import { quoteMysqlIdentifier as q } from '../../engines/mysql/identifiers.js';
import { queryRows } from '../../engines/mysql/row-stream.js';
import { sampleBound, tableLabel, type Relation, type RelationColumn, type SubsetStrategy } from '../plan.js';
import type { RowCount } from '../report.js';
import type { SubsetEngine } from '../walk.js';
import { StatementSpool } from './statement-spool.js';

/**
 * The MySQL/MariaDB SQL of the subset walk. See docs/mysql.md (Subset) for the why; in short:
 *
 * - Kept keys live in TEMPORARY tables of the dump's session, two per table: `…_keep` (the key columns
 *   with their own types and collations, the round a key was kept in, whether it was reached downward)
 *   and `…_new` (the keys one step found). MySQL refuses CREATE TEMPORARY TABLE inside a READ ONLY
 *   transaction but lets it write temporary tables, so they are created before
 *   `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` (for every base table: the plan is made
 *   later, in the snapshot) and the source's own tables stay unwritable, by us or by a `where` condition.
 * - Every source table is read by a plain SELECT, never by `INSERT … SELECT`: InnoDB runs the SELECT of an
 *   `INSERT … SELECT` (even into a temporary table) under REPEATABLE READ as a locking read, which reads
 *   the latest committed rows instead of the snapshot and takes shared locks on production rows until the
 *   dump ends. So a step streams the keys it finds (a consistent read), the client writes them as
 *   `INSERT IGNORE INTO …_new VALUES …` statements into a spool (memory, then a file), and replays them
 *   once the SELECT has ended; the rest (`…_new` into `…_keep`) is temporary table to temporary table.
 * - A table without a primary key (or whose primary key has a prefix part) is keyed by an MD5 of its
 *   whole row: identical rows share a key, so they are kept together.
 * - No query names the same temporary table twice (MySQL cannot reopen a temporary table in one query).
 */

/** Row keys of one table: its primary-key columns, or a hash of the whole row. */
type KeyShape = { kind: 'columns'; columns: string[] } | { kind: 'hash' };

interface PreparedTable {
  keep: string;
  staged: string;
  key: KeyShape;
}

/** The temporary tables of a subset, created (before the snapshot transaction) for every base table. */
export interface MysqlSubsetTables {
  tables: Map<string, PreparedTable>;
}

const STATEMENT_BYTES = 1 << 19;
/** Tables smaller than this are counted for the report; larger ones are estimated. */
const EXACT_COUNT_BYTES = 32 * 1024 * 1024;

/**
 * Creates the temporary tables the walk will write, for every base table of the connection's database.
 * Must run before the dump's READ ONLY transaction begins.
 */
export async function prepareMysqlSubsetTables(connection: Connection): Promise<MysqlSubsetTables> {
  const [rows] = await connection.query<RowDataPacket[]>(`
    SELECT t.TABLE_NAME AS name, s.COLUMN_NAME AS \`column\`, s.SUB_PART AS sub, c.COLUMN_TYPE AS type,
           c.CHARACTER_SET_NAME AS charset, c.COLLATION_NAME AS \`collation\`
    FROM information_schema.TABLES t
    LEFT JOIN information_schema.STATISTICS s ON s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME AND s.INDEX_NAME = 'PRIMARY'
    LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
    WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
    ORDER BY t.TABLE_NAME, s.SEQ_IN_INDEX`);
  const byTable = new Map<string, Array<{ column: string | null; sub: number | null; type: string; charset: string | null; collation: string | null }>>();
  for (const row of rows) {
    const list = byTable.get(row.name as string) ?? [];
    list.push(row as never);
    byTable.set(row.name as string, list);
  }
  // Temporary tables hide base tables of the same name in the session: pick names no table has.
  const taken = new Set([...byTable.keys()].map((name) => name.toLowerCase()));
  let tag: string;
  do tag = randomBytes(3).toString('hex');
  while ([...taken].some((name) => name.startsWith(`replibyte_subset_${tag}_`)));

  const tables = new Map<string, PreparedTable>();
  let index = 0;
  for (const [name, parts] of byTable) {
    index += 1;
    const hasKey = parts.every((p) => p.column !== null && p.sub === null);
    const key: KeyShape = hasKey ? { kind: 'columns', columns: parts.map((p) => p.column!) } : { kind: 'hash' };
    const definitions = hasKey
      ? parts.map((p, i) => `${q(`k${i}`)} ${p.type}${p.charset ? ` CHARACTER SET ${p.charset} COLLATE ${p.collation}` : ''} NOT NULL`)
      : ['`k0` binary(16) NOT NULL'];
    const keyList = definitions.map((_, i) => q(`k${i}`)).join(', ');
    const prepared = { keep: `replibyte_subset_${tag}_${index}_keep`, staged: `replibyte_subset_${tag}_${index}_new`, key };
    await connection.query(
      `CREATE TEMPORARY TABLE ${q(prepared.keep)} (${definitions.join(', ')}, \`round\` int NOT NULL, \`downward\` tinyint NOT NULL,
       PRIMARY KEY (${keyList}), KEY (\`round\`, \`downward\`))`,
    );
    await connection.query(`CREATE TEMPORARY TABLE ${q(prepared.staged)} (${definitions.join(', ')}, PRIMARY KEY (${keyList}))`);
    tables.set(name, prepared);
  }
  return { tables };
}

interface TableState extends PreparedTable {
  info: MysqlTableInfo;
  /** The key columns in the temporary tables: k0, k1, … */
  width: number;
  kinds: LiteralKind[];
  /** Keys added (or turned downward) per round, and those reached downward: a step on an empty round is skipped. */
  added: Map<number, number>;
  downward: Map<number, number>;
}

export class MysqlSubsetEngine implements SubsetEngine {
  private readonly states = new Map<string, TableState>();

  constructor(
    private readonly connection: Connection,
    prepared: MysqlSubsetTables,
    tables: MysqlTableInfo[],
  ) {
    for (const info of tables) {
      const table = prepared.tables.get(info.name);
      if (!table || info.kind !== 'table') continue;
      const kinds =
        table.key.kind === 'hash'
          ? (['hex'] as LiteralKind[])
          : table.key.columns.map((name) => {
              const column = info.columns.find((c) => c.name === name);
              if (!column) throw new ReplibyteError(`subset: ${info.schema}.${info.name} has no column ${name} any more (its schema changed during the dump)`);
              return literalKindOf(column);
            });
      this.states.set(info.name, { ...table, info, width: kinds.length, kinds, added: new Map(), downward: new Map() });
    }
  }

  private state(table: NamedTable): TableState {
    const found = this.states.get(table.name);
    if (!found) throw new ReplibyteError(`subset: ${tableLabel(table)} is not a base table of the source (was it created during the dump?)`);
    return found;
  }

  /** The SQL naming a row of `table` (alias `alias`): its primary-key columns, or the hash of the row. */
  keyExpressions(table: NamedTable, alias: string): string[] {
    const state = this.state(table);
    if (state.key.kind === 'columns') return state.key.columns.map((column) => `${alias}.${q(column)}`);
    const parts = state.info.columns.filter((c) => !c.generated).map((c) => `IFNULL(HEX(CAST(${alias}.${q(c.name)} AS BINARY)), 'N')`);
    return [`UNHEX(MD5(CONCAT_WS(',', ${parts.join(', ')})))`];
  }

  private tempColumns(table: NamedTable, alias = ''): string {
    return Array.from({ length: this.state(table).width }, (_, i) => `${alias}${q(`k${i}`)}`).join(', ');
  }

  /** `(t.k1, t.k2) IN (SELECT k0, k1 FROM …_keep WHERE …)`: the kept rows of `table`. */
  isKept(table: NamedTable, alias: string, where = ''): string {
    return `(${this.keyExpressions(table, alias).join(', ')}) IN (SELECT ${this.tempColumns(table)} FROM ${q(this.state(table).keep)}${where ? ` WHERE ${where}` : ''})`;
  }

  private async run(sql: string, what: string): Promise<number> {
    try {
      const [result] = await this.connection.query<ResultSetHeader>(sql);
      return result.affectedRows;
    } catch (error) {
      throw withContext(`subset: ${what}`, error);
    }
  }

  /**
   * Runs `select` (its columns: the keys of `table`, in order) as a consistent read, and puts the keys it
   * returns into `table`'s `…_new`, emptied first.
   */
  private async stage(table: NamedTable, select: string, what: string): Promise<void> {
    const state = this.state(table);
    const spool = new StatementSpool();
    try {
      await this.run(`DELETE FROM ${q(state.staged)}`, what);
      const header = Buffer.from(`INSERT IGNORE INTO ${q(state.staged)} (${this.tempColumns(table)}) VALUES `, 'utf8');
      const out = new ByteBuilder();
      let open = false;
      try {
        for await (const batch of queryRows(streamingConnection(this.connection), { sql: select, rowsAsArray: true, typeCast: false })) {
          for (const values of batch) {
            if (open) out.byte(0x2c);
            else out.bytes(header);
            open = true;
            out.byte(0x28);
            values.forEach((value, i) => {
              if (i > 0) out.byte(0x2c);
              writeLiteral(out, state.kinds[i]!, value);
            });
            out.byte(0x29);
            if (out.length >= STATEMENT_BYTES) {
              await spool.push(out.take());
              open = false;
            }
          }
        }
      } catch (error) {
        throw withContext(`subset: ${what}`, error);
      }
      if (open) await spool.push(out.take());
      for await (const statement of spool.statements()) await this.run(statement.toString('utf8'), what);
    } finally {
      await spool.dispose();
    }
  }

  /** Moves the staged keys of `table` into its kept keys at `round`; returns how many keys that added or turned downward. */
  private async keepStaged(table: NamedTable, round: number, downward: boolean, what: string): Promise<number> {
    const state = this.state(table);
    let changed = 0;
    if (downward) {
      const join = Array.from({ length: state.width }, (_, i) => `k.${q(`k${i}`)} = n.${q(`k${i}`)}`).join(' AND ');
      changed += await this.run(
        `UPDATE ${q(state.keep)} k JOIN ${q(state.staged)} n ON ${join} SET k.\`downward\` = 1, k.\`round\` = ${round} WHERE k.\`downward\` = 0`,
        what,
      );
    }
    changed += await this.run(
      `INSERT IGNORE INTO ${q(state.keep)} (${this.tempColumns(table)}, \`round\`, \`downward\`) SELECT ${this.tempColumns(table)}, ${round}, ${downward ? 1 : 0} FROM ${q(state.staged)}`,
      what,
    );
    state.added.set(round, (state.added.get(round) ?? 0) + changed);
    if (downward) state.downward.set(round, (state.downward.get(round) ?? 0) + changed);
    return changed;
  }

  private from(table: NamedTable, alias: string): string {
    this.state(table);
    return `${q(table.name)} ${alias}`;
  }

  async keepStart(table: NamedTable, strategy: SubsetStrategy, room?: number): Promise<number> {
    const keys = this.keyExpressions(table, 't');
    const cap = room === undefined ? '' : ` LIMIT ${Math.floor(room)}`;
    if (strategy.kind === 'where' || strategy.kind === 'keys') {
      // The connection runs one statement per query (no multipleStatements), in a READ ONLY transaction.
      const what =
        strategy.kind === 'where'
          ? `strategy where on ${tableLabel(table)} (condition: ${strategy.condition})`
          : `include ${tableLabel(table)}:${strategy.column}=${strategy.values.join(',')}`;
      const condition = strategy.kind === 'where' ? `(${strategy.condition})` : mysql.format(`t.${q(strategy.column)} IN (?)`, [strategy.values]);
      await this.stage(table, `SELECT ${keys.join(', ')} FROM ${this.from(table, 't')} WHERE ${condition}${cap ? ` ORDER BY ${keys.join(', ')}${cap}` : ''}`, what);
      return this.keepStaged(table, 0, true, what);
    }
    if (strategy.kind === 'limit') {
      const what = `target limit on ${tableLabel(table)}${strategy.orderBy ? ` (order_by: ${strategy.orderBy})` : ''}`;
      const rows = Math.min(strategy.rows, room ?? Infinity);
      await this.stage(table, `SELECT ${keys.join(', ')} FROM ${this.from(table, 't')} ORDER BY ${strategy.orderBy ? `${strategy.orderBy}, ` : ''}${keys.join(', ')} LIMIT ${rows}`, what);
      return this.keepStaged(table, 0, true, what);
    }
    // A repeatable random sample (docs/decisions/0040): a row is kept when the first 64 bits of the MD5 of
    // the seed and its key, as an unsigned number, fall under the percent's share of 2^64. One pass, no
    // count and no sort; a row's fate depends on its key and the seed only. With a max_rows, the smallest
    // hashes first.
    const what = `strategy random on ${tableLabel(table)}`;
    const hash = mysql.format(`CAST(CONV(LEFT(MD5(CONCAT_WS(':', CAST(? AS BINARY), ${keys.map((k) => `CAST(${k} AS BINARY)`).join(', ')})), 16), 16, 10) AS UNSIGNED)`, [strategy.seed]);
    const bound = sampleBound(strategy.percent);
    const condition = bound === undefined ? '' : ` WHERE ${hash} < ${bound.toString()}`;
    await this.stage(table, `SELECT ${keys.join(', ')} FROM ${this.from(table, 't')}${condition}${cap ? ` ORDER BY ${hash}, ${keys.join(', ')}${cap}` : ''}`, what);
    return this.keepStaged(table, 0, true, what);
  }

  async keepParents(relation: Relation, round: number, wholeChild: boolean): Promise<number> {
    const { child, parent } = relation;
    if (!wholeChild && !this.state(child).added.get(round - 1)) return 0;
    const parentTuple = relation.parentColumns.map((column) => `p.${q(column)}`).join(', ');
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const keptChild = wholeChild ? '' : ` WHERE ${this.isKept(child, 'c', `\`round\` = ${round - 1}`)}`;
    const what = `following ${relation.name} from ${tableLabel(child)} to ${tableLabel(parent)}`;
    await this.stage(
      parent,
      `SELECT ${this.keyExpressions(parent, 'p').join(', ')} FROM ${this.from(parent, 'p')}
       WHERE (${parentTuple}) IN (SELECT ${childTuple} FROM ${this.from(child, 'c')}${keptChild})`,
      what,
    );
    return this.keepStaged(parent, round, false, what);
  }

  async keepChildren(relation: Relation, round: number, limitPerParent: number, room?: number): Promise<number> {
    const { child, parent } = relation;
    if (!this.state(parent).downward.get(round - 1)) return 0;
    const parentTuple = relation.parentColumns.map((column) => `p.${q(column)}`).join(', ');
    const childTuple = relation.childColumns.map((column) => childColumnSql(column, 'c')).join(', ');
    const keys = this.keyExpressions(child, 'c');
    const what = `adding children through ${relation.name} from ${tableLabel(parent)} to ${tableLabel(child)}`;
    await this.stage(
      child,
      `SELECT ${this.tempColumns(child, 's.')} FROM (
         SELECT ${keys.map((k, i) => `${k} AS ${q(`k${i}`)}`).join(', ')},
                ROW_NUMBER() OVER (PARTITION BY ${childTuple} ORDER BY ${keys.join(', ')}) AS replibyte_n
         FROM ${this.from(child, 'c')}
         WHERE (${childTuple}) IN (SELECT ${parentTuple} FROM ${this.from(parent, 'p')}
                                   WHERE ${this.isKept(parent, 'p', `\`downward\` = 1 AND \`round\` = ${round - 1}`)})) s
       WHERE s.replibyte_n <= ${limitPerParent}${room === undefined ? '' : ` ORDER BY s.replibyte_n, ${this.tempColumns(child, 's.')} LIMIT ${Math.floor(room)}`}`,
      what,
    );
    return this.keepStaged(child, round, true, what);
  }

  async countRows(table: NamedTable): Promise<RowCount> {
    // InnoDB counts by scanning: a large table gets the server's estimate instead (TABLE_ROWS, which
    // InnoDB samples), for one line of the report.
    const [stats] = await this.connection.query<RowDataPacket[]>(
      'SELECT TABLE_ROWS AS estimate, DATA_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table.name],
    );
    const stat = stats[0];
    if (stat && stat.estimate !== null && Number(stat.bytes) >= EXACT_COUNT_BYTES) return { rows: Number(stat.estimate), estimated: true };
    const [rows] = await this.connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${this.from(table, 't')}`);
    return { rows: Number(rows[0]!.n), estimated: false };
  }

  /** Kept rows: the kept keys, or for a table keyed by row hash, the rows with a kept hash (identical rows share one). */
  async countKept(table: NamedTable): Promise<number> {
    const state = this.state(table);
    const sql =
      state.key.kind === 'hash'
        ? `SELECT COUNT(*) AS n FROM ${this.from(table, 't')} WHERE ${this.isKept(table, 't')}`
        : `SELECT COUNT(*) AS n FROM ${q(state.keep)}`;
    const [rows] = await this.connection.query<RowDataPacket[]>(sql);
    return Number(rows[0]!.n);
  }

  /** The SELECT of the kept rows of `table`, columns in the given order. */
  keptRowsSelect(table: NamedTable, columns: string[]): string {
    return `SELECT ${columns.map((column) => `t.${q(column)}`).join(', ')} FROM ${this.from(table, 't')} WHERE ${this.isKept(table, 't')}`;
  }
}

function childColumnSql(column: RelationColumn, alias: string): string {
  // An expression is written against the row without an alias (`JSON_VALUE(meta, '$.coupon_id')`): the
  // child table is the innermost one in scope where it is evaluated.
  return 'column' in column ? `${alias}.${q(column.column)}` : `(${column.expression})`;
}
