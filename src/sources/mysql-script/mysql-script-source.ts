import type { Readable } from 'node:stream';
import { formatKeyPath, type Config } from '../../config/load.js';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import type { ColumnTransform, RowView } from '../../transformers/row-transform.js';
import { ByteBuilder } from '../../encode/mysql/byte-builder.js';
import { databaseScope, statementExcerpt } from '../../encode/mysql/database-scope.js';
import { InsertBatcher } from '../../encode/mysql/insert-batcher.js';
import { parseInsertHeader, rowTuples, type InsertHeader, type RowTuple } from '../../encode/mysql/insert-statement.js';
import { decodeLiteral, textOf, writeText } from '../../encode/mysql/sql-literal.js';
import { splitMysqlScript, type ScriptStatement } from '../../encode/mysql/statement-splitter.js';
import { ReplibyteError } from '../../errors.js';
import { unquote } from '../../selection/table-selection.js';
import { planTransforms, type TransformedColumn } from '../../transformers/plan.js';
import { refuseFixedValues, type FixedValueCheck } from '../../transformers/fixed-values.js';
import { scriptValueCheck } from '../script-value-check.js';
import { literalKindOf, type LiteralKind } from '../../engines/mysql/column-types.js';
import { truncatedScript, type ScriptOptions } from '../script-sources.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { parseCreateTable, type ScriptTable } from './create-table.js';
import { reportPartWritten } from '../../reporting/reporter.js';

const WHERE = 'the mysql script on stdin';

/** What the script's header comments say about where it came from. */
interface ScriptOrigin {
  engine: 'mysql' | 'mariadb';
  serverVersion?: string;
  dumpTool?: string;
  database?: string;
}

interface TablePlan {
  columns: string[];
  /** The script's INSERTs name their columns (else they are written without a list, as they came). */
  listed: boolean;
  kinds: LiteralKind[];
  transforms: ColumnTransform[];
}

/**
 * `dump create -s mysql -i`: a mysqldump / mariadb-dump script read from stdin, streamed. Statements
 * other than INSERT pass through byte for byte; the rows of each INSERT are regrouped into our bounded
 * statements, each row's bytes unchanged unless a transformer rewrites one of its values. Tables are
 * learnt from the script's CREATE TABLE statements as they come. `USE` and `CREATE DATABASE` are
 * dropped: a restore goes into the destination's database, never into the one the script names.
 */
export class MysqlScriptSource implements DumpSource {
  private readonly tables = new Map<string, ScriptTable>();
  private readonly plans = new Map<string, TablePlan>();
  private readonly transformed: TransformedColumn[] = [];
  private valueCheck: FixedValueCheck | undefined;
  private readonly origin: ScriptOrigin = { engine: 'mysql' };
  /** The database the script's USE / CREATE DATABASE selects. */
  private selected: string | undefined;
  private statements: AsyncGenerator<ScriptStatement>;
  private lookahead: ScriptStatement | undefined;
  private finished = false;
  /** The last statement read, and whether mysqldump's `-- Dump completed` line followed it. */
  private last: { line: number; excerpt: string } | undefined;
  private completed = false;

  constructor(
    private readonly input: Readable,
    private readonly options: ScriptOptions = { allowTruncated: false },
  ) {
    this.statements = this.watched(splitMysqlScript(input, WHERE));
  }

  private async *watched(statements: AsyncGenerator<ScriptStatement>): AsyncGenerator<ScriptStatement> {
    for await (const statement of statements) {
      if (statement.kind === 'statement') {
        this.last = { line: statement.line, excerpt: statementExcerpt(statement.text.toString('utf8', 0, 400)) };
        this.completed = false;
      } else if (/^-- Dump completed\b/m.test(statement.raw.toString('latin1', 0, 4096))) this.completed = true;
      yield statement;
    }
  }

  private async peek(): Promise<ScriptStatement | undefined> {
    if (this.lookahead || this.finished) return this.lookahead;
    const next = await this.statements.next();
    if (next.done) this.finished = true;
    else this.lookahead = next.value;
    return this.lookahead;
  }

  private take(): ScriptStatement {
    const statement = this.lookahead!;
    this.lookahead = undefined;
    return statement;
  }

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    const config = context.config;
    for (const key of ['skip', 'skip_data', 'only_tables', 'database_subset'] as const) {
      if (config.source?.[key] && (!Array.isArray(config.source[key]) || config.source[key].length > 0)) {
        throw new ReplibyteError(`source.${key} is not supported with -s mysql -i (the script is read once, as it comes): dump the live database instead`);
      }
    }
    let sqlParts = 0;
    let dataSeen = false;
    for (let next = await this.peek(); next; next = await this.peek()) {
      const header = next.kind === 'statement' ? parseInsertHeader(next.text) : undefined;
      if (header?.database !== undefined) {
        throw new ReplibyteError(`${WHERE}, line ${next.line}: \`${statementExcerpt(next.text.toString('utf8', 0, 200))}\` names ${header.database}.${header.table}, in the database ${header.database}: a restore writes only into the destination database (remove the database name); nothing was stored`);
      }
      if (header) {
        dataSeen = true;
        await this.writeTableData(header, sink, context);
      } else {
        sqlParts += 1;
        await sink.writePart(
          { kind: 'sql', section: dataSeen ? 'post-data' : 'pre-data', label: `script statements (${sqlParts})`, encoding: 'mysql-sql' },
          this.sqlStatements(context),
        );
      }
    }
    this.checkEveryTransformerMatched(config);
    if (!this.completed) {
      const problem = truncatedScript(WHERE, 'mysqldump', '-- Dump completed', this.last);
      if (!this.options.allowTruncated) {
        throw new ReplibyteError(`${problem}; nothing was stored`, 'a script written with --skip-comments or --compact lacks that line too: pass --allow-truncated to store it anyway');
      }
      context.reporter.warn(`${problem}; stored anyway (--allow-truncated)`);
    }
    return {
      engine: {
        kind: this.origin.engine,
        ...(this.origin.serverVersion && { serverVersion: this.origin.serverVersion }),
        ...(this.origin.dumpTool && { dumpTool: this.origin.dumpTool }),
      },
      source: { kind: 'script', ...(this.origin.database && { database: this.origin.database }), ...(!this.completed && { truncated: true }) },
      schemas: this.origin.database ? [this.origin.database] : [],
      transformed: this.transformed,
    };
  }

  /** Statements up to the next INSERT, as they were; CREATE TABLE is read on the way. */
  private async *sqlStatements(context: DumpContext): AsyncGenerator<Buffer> {
    for (let next = await this.peek(); next; next = await this.peek()) {
      if (next.kind === 'statement' && parseInsertHeader(next.text)) return;
      const statement = this.take();
      if (statement.kind === 'statement') {
        const head = statement.text.toString('utf8', 0, Math.min(statement.text.length, 1 << 20));
        if (this.leftOut(statement.text.toString('utf8'), statement.line, context)) continue;
        const table = parseCreateTable(head, this.origin.database ?? '');
        if (table) this.tables.set(table.name, table);
      }
      if (statement.line < 20) this.readHeaderComments(statement.raw.toString('utf8'));
      yield statement.raw;
    }
  }

  /** `-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB`, `-- Host: …    Database: app`, `-- Server version 10.11.6-MariaDB-0+deb12u1`. */
  private readHeaderComments(text: string): void {
    const tool = /^--\s*((?:MySQL|MariaDB) dump [^\n]*)/m.exec(text);
    if (tool) {
      this.origin.dumpTool = tool[1]!.trim().replace(/\s+/g, ' ');
      if (/mariadb/i.test(tool[1]!)) this.origin.engine = 'mariadb';
    }
    const database = /^--\s*Host:.*Database:\s*(\S+)/m.exec(text);
    if (database) this.origin.database = database[1];
    const server = /^--\s*Server version\s+(\S+)/m.exec(text);
    if (server) {
      this.origin.serverVersion = server[1]!.split('-')[0];
      this.origin.engine = /mariadb/i.test(server[1]!) ? 'mariadb' : 'mysql';
    }
  }

  /**
   * A statement that reaches outside the destination database (docs/mysql.md): USE, CREATE/DROP/ALTER
   * DATABASE and mysqldump's GTID lines are left out, with a warning; anything else (another
   * database's table, a client command, a server-wide statement) refuses the script. Also reads the
   * script's database from USE / CREATE DATABASE; a second database refuses the script.
   */
  private leftOut(sql: string, line: number, context: DumpContext): boolean {
    const scope = databaseScope(sql);
    if (!scope) return false;
    const where = `${WHERE}, line ${line}: \`${statementExcerpt(sql)}\``;
    if (scope.action === 'refuse') throw new ReplibyteError(`${where} ${scope.what}: a restore writes only into the destination database; nothing was stored`);
    if (scope.selects !== undefined) {
      if (this.selected !== undefined && this.selected !== scope.selects) {
        throw new ReplibyteError(`${where} switches from the database ${this.selected} to ${scope.selects}: the script holds several databases (--all-databases?); dump one database; nothing was stored`);
      }
      this.selected = scope.selects;
      this.origin.database = scope.selects;
    }
    context.reporter.warn(`${where}: left out (it ${scope.what}): a restore goes into the destination database only`);
    return true;
  }

  private async writeTableData(header: InsertHeader, sink: PartSink, context: DumpContext): Promise<void> {
    if (context.config.source?.strict) await this.enforceStrict(header.table, context);
    const plan = await this.planFor(header, context);
    const label = `${this.origin.database ? `${this.origin.database}.` : ''}${header.table}`;
    const part = await sink.writePart(
      {
        kind: 'table-data',
        section: 'data',
        label,
        ...(this.origin.database && { schema: this.origin.database }),
        table: header.table,
        columns: plan.columns,
        encoding: 'mysql-sql',
      },
      this.tableRows(header, plan),
    );
    reportPartWritten(context.reporter, label, part.rows, 'rows', plan.transforms.length > 0 ? `, ${plan.transforms.length} column(s) transformed` : '');
  }

  /** The INSERTs into one table that follow each other, their rows regrouped. */
  private async *tableRows(first: InsertHeader, plan: TablePlan): AsyncGenerator<Buffer> {
    const list = plan.listed ? plan.columns : undefined;
    let batcher = new InsertBatcher(first.table, list, undefined, `${first.verb} INTO`);
    let verb = first.verb;
    let rowNumber = 0;
    for (let next = await this.peek(); next; next = await this.peek()) {
      if (next.kind !== 'statement') break;
      const header = parseInsertHeader(next.text);
      if (!header || header.table !== first.table || (header.columns !== undefined) !== plan.listed || (header.columns ?? plan.columns).join('\0') !== plan.columns.join('\0')) break;
      const statement = this.take();
      if (header.verb !== verb) {
        yield* batcher.finish();
        batcher = new InsertBatcher(first.table, list, undefined, `${header.verb} INTO`);
        verb = header.verb;
      }
      try {
        for (const tuple of rowTuples(statement.text, header.valuesOffset)) {
          rowNumber += 1;
          if (tuple.expression) this.checkExpression(tuple, first.table, statement.line, rowNumber);
          yield* batcher.add(plan.transforms.length > 0 ? this.transformRow(tuple, plan, first.table, rowNumber) : tuple.bytes);
        }
      } catch (error) {
        if (error instanceof ReplibyteError) throw error;
        throw new ReplibyteError(`${WHERE}, line ${statement.line}: INSERT INTO ${first.table}: ${(error as Error).message}`);
      }
    }
    yield* batcher.finish();
  }

  /** A row value that is an expression (mysqldump writes literals only) must not reach outside the destination: `(SELECT … FROM other.t)`, `other.f()`. */
  private checkExpression(tuple: RowTuple, table: string, line: number, rowNumber: number): void {
    const scope = databaseScope(tuple.bytes.toString('utf8'));
    if (scope) throw new ReplibyteError(`${WHERE}, line ${line}: INSERT INTO ${table}, row ${rowNumber}: a value ${scope.what}: a restore writes only into the destination database; nothing was stored`);
  }

  private transformRow(tuple: RowTuple, plan: TablePlan, table: string, rowNumber: number): Buffer {
    const { bytes, spans } = tuple;
    if (spans.length !== plan.columns.length) {
      throw new ReplibyteError(`${WHERE}: INSERT INTO ${table}, row ${rowNumber}: ${spans.length} values for ${plan.columns.length} columns`);
    }
    const text = (index: number): string | null => {
      const [start, end] = spans[index]!;
      const decoded = decodeLiteral(bytes.subarray(start, end));
      if (decoded === undefined) {
        throw new ReplibyteError(`${WHERE}: INSERT INTO ${table}, row ${rowNumber}, column ${plan.columns[index]}: cannot transform ${bytes.toString('utf8', start, Math.min(end, start + 40))} (an expression, not a literal)`);
      }
      return textOf(plan.kinds[index]!, decoded);
    };
    const row: RowView = {
      get: (column) => {
        const index = plan.columns.indexOf(column);
        if (index === -1) throw new ReplibyteError(`table ${table}: no column ${column}`);
        return text(index);
      },
    };
    const results = plan.transforms.map((t) => t.apply(text(t.index), row));
    const order = plan.transforms.map((t, i) => ({ index: t.index, value: results[i]! })).sort((a, b) => a.index - b.index);
    const out = new ByteBuilder(bytes.length + 64);
    let from = 0;
    for (const { index, value } of order) {
      const [start, end] = spans[index]!;
      out.bytes(bytes.subarray(from, start));
      writeText(out, plan.kinds[index]!, value);
      from = end;
    }
    out.bytes(bytes.subarray(from));
    return out.take();
  }

  /**
   * The transforms of one table, checked by planTransforms against the columns its CREATE TABLE gave.
   * The script's tables are only known as they come, so each table is planned on its first INSERT, with
   * the config entries that name it (kept at their positions, so messages point at the right YAML line).
   * MySQL entries match on the table name (the original ignored `database` for MySQL).
   */
  private async planFor(header: InsertHeader, context: DumpContext): Promise<TablePlan> {
    const known = this.plans.get(header.table);
    if (known && (header.columns ?? known.columns).join('\0') === known.columns.join('\0') && (header.columns !== undefined) === known.listed) return known;
    const table = this.tables.get(header.table);
    const entries = context.config.source?.transformers ?? [];
    const sparse: typeof entries = new Array(entries.length);
    const schemas = new Set<string>();
    entries.forEach((entry, index) => {
      if (unquote(entry.table) !== header.table) return;
      sparse[index] = entry;
      schemas.add(unquote(entry.database));
    });
    // Without a column list, VALUES holds every column, generated ones included (mariadb-dump writes them).
    const columns = header.columns ?? table?.columns.map((c) => c.name) ?? [];
    if (schemas.size > 0 && !table) {
      throw new ReplibyteError(`${WHERE}: rows for ${header.table} come before its CREATE TABLE: its columns are unknown, so its transformers cannot be applied`);
    }
    const info = (name: string) => table?.columns.find((c) => c.name === name);
    const kinds = columns.map((name) => (info(name) ? literalKindOf(info(name)!) : 'string'));
    let transforms: ColumnTransform[] = [];
    if (table && schemas.size > 0) {
      const config: Config = { ...context.config, source: { ...context.config.source, transformers: sparse, keep: [] } };
      const tables = [...schemas].map((schema) => ({ schema, name: table.name, columns: table.columns.map((c) => ({ ...c, schema })) }));
      const plan = planTransforms(config, tables, context.registry, context.salt, () => columns);
      // `constant` values parsed by a MySQL server of the config, when one answers (script-value-check.ts).
      this.valueCheck ??= scriptValueCheck(context.config, 'mysql', context.reporter);
      await refuseFixedValues(config, tables, plan.transformed, this.valueCheck);
      transforms = [...plan.tables.values()].flatMap((p) => p.transforms);
      for (const t of plan.transformed) {
        if (!this.transformed.some((x) => x.table === t.table && x.column === t.column)) this.transformed.push({ ...t, schema: this.origin.database ?? t.schema });
      }
    }
    const plan = { columns, listed: header.columns !== undefined, kinds, transforms };
    this.plans.set(header.table, plan);
    return plan;
  }

  /** A transformer entry whose table the script never filled would leak nothing, but it is a typo: say so. */
  private checkEveryTransformerMatched(config: Config): void {
    const problems: string[] = [];
    (config.source?.transformers ?? []).forEach((entry, index) => {
      const name = unquote(entry.table);
      if (this.plans.has(name) || this.tables.has(name)) return;
      const path = ['source', 'transformers', index, 'table'];
      const place = config.locate(path);
      problems.push(`${place ? `${config.origin}:${place.line}:${place.column}: ` : ''}${formatKeyPath(path)}: no table ${name} in ${WHERE}`);
    });
    // source.keep the same way, and each kept column must exist (planTransforms checks them on live sources).
    const at = (path: PropertyKey[]) => {
      const place = config.locate(path);
      return `${place ? `${config.origin}:${place.line}:${place.column}: ` : ''}${formatKeyPath(path)}`;
    };
    (config.source?.keep ?? []).forEach((entry, index) => {
      const table = this.tables.get(unquote(entry.table));
      if (!table) {
        problems.push(`${at(['source', 'keep', index, 'table'])}: no table ${unquote(entry.table)} in ${WHERE}`);
        return;
      }
      entry.columns.forEach((name, columnIndex) => {
        if (!table.columns.some((c) => c.name === unquote(name))) problems.push(`${at(['source', 'keep', index, 'columns', columnIndex])}: no column ${unquote(name)} in ${table.name}`);
      });
    });
    if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  }

  /**
   * Strict mode, at the first row of each table (the script shows its tables one at a time): when a column
   * of this table is undecided, the rest of the script is read without writing anything, to name every
   * undecided column of every table that has rows, and the dump is refused (what was written is removed).
   * MySQL entries match on the table name, as transformers do.
   */
  private async enforceStrict(tableName: string, context: DumpContext): Promise<void> {
    if (this.plans.has(tableName)) return;
    const source = context.config.source;
    const decided = (table: string, column: string) =>
      (source?.transformers ?? []).some((e) => unquote(e.table) === table && e.columns.some((c) => unquote(c.name) === column)) ||
      (source?.keep ?? []).some((e) => unquote(e.table) === table && e.columns.some((c) => unquote(c) === column));
    const undecidedOf = (name: string) => (this.tables.get(name)?.columns ?? []).filter((c) => !c.generated && !decided(name, c.name));
    if (undecidedOf(tableName).length === 0) return;
    const withRows = [tableName];
    for (let next = await this.peek(); next; next = await this.peek()) {
      const statement = this.take();
      if (statement.kind !== 'statement') continue;
      const header = parseInsertHeader(statement.text);
      if (header) {
        if (!withRows.includes(header.table)) withRows.push(header.table);
        continue;
      }
      const table = parseCreateTable(statement.text.toString('utf8', 0, Math.min(statement.text.length, 1 << 20)), this.origin.database ?? '');
      if (table) this.tables.set(table.name, table);
    }
    const schema = this.origin.database ?? 'database';
    const undecided = withRows
      .map((name) => ({ schema, name, columns: undecidedOf(name).map((c) => ({ ...c, schema, table: name })) }))
      .filter((table) => table.columns.length > 0);
    const { StrictRefusal, proposeForUndecided } = await import('../../check/strict.js');
    throw new StrictRefusal(undecided, await proposeForUndecided(undecided, { registry: context.registry }));
  }

  async close(): Promise<void> {
    this.input.destroy();
  }
}
