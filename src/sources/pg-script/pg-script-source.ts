import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import { CopyRowTransform } from '../../encode/copy-row-transform.js';
import type { ColumnTransform } from '../../transformers/row-transform.js';
import type { ScriptEvent } from '../../encode/sql-script-reader.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { planTransforms, tableKey, type TransformPlan } from '../../transformers/plan.js';
import { refuseFixedValues } from '../../transformers/fixed-values.js';
import { scriptValueCheck } from '../script-value-check.js';
import { truncatedScript, type ScriptOptions } from '../script-sources.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { checkCopyFields, parseCopyStatement } from './copy-statement.js';
import { readInsertTable, rewriteInsert, type ColumnRewrite } from './insert-statement.js';
import { ScriptCatalog } from './script-catalog.js';
import { ScriptCursor } from './script-cursor.js';
import { ScriptSelection } from './script-selection.js';
import { connectTarget, pgDatabaseScope } from './database-scope.js';
import { SkipFilter } from './skip-filter.js';
import { readLargeObjectStatement } from './large-object-statements.js';
import { encodeEnd, encodeHeader, encodePieces } from '../../encode/large-objects.js';
import { copiedWarning, refuseUndecidedLargeObjects, skippedWarning, type LargeObjectTotals } from '../postgres/large-objects.js';
import { SqlSyntaxError } from '../../engines/postgres/sql-lexer.js';
import { sameTable, tableLabel, type TableName } from '../../engines/postgres/table-name.js';
import { reportPartWritten } from '../../reporting/reporter.js';

/** Statements between two data blocks are held until the next one shows whether they are data or post-data. */
const PENDING_LIMIT = 4 << 20;
const IGNORED_META = /^\\(restrict|unrestrict)\b/;
/** How much of the script's end is kept to find pg_dump's last line. */
const TAIL_BYTES = 4096;
const TRAILER = '-- PostgreSQL database dump complete';

interface Prepared {
  selection: ScriptSelection;
  plan: TransformPlan;
}

/**
 * A plain pg_dump script (`dump create -s postgresql -i` / `-f FILE`), streamed: the statements
 * before the first data statement are the pre-data part; each COPY block is a table-data part and
 * each run of INSERT statements into one table a `sql` data part, transformed on the way; what
 * follows the last data statement is the post-data part. Untouched bytes are copied as they are.
 */
export class PgScriptSource implements DumpSource {
  private readonly cursor: ScriptCursor;
  private readonly catalog = new ScriptCatalog();
  private prepared: Prepared | undefined;
  private filter: SkipFilter | undefined;
  private serverVersion: string | undefined;
  private dumpTool: string | undefined;
  /** The database the script names (CREATE DATABASE, \\connect): a script of pg_dump -C. */
  private database: string | undefined;
  private reporter: DumpContext['reporter'] | undefined;
  /**
   * Large objects the schema creates (`lo_create`, dropped from the SQL: the large-objects part creates
   * them), with the owner and comment the schema gives them, until their content block is read.
   */
  private readonly largeObjects = new Map<number, { owner?: string; comment?: string | null }>();
  private skipLargeObjects = false;

  /** The last bytes of the script: pg_dump ends it with `-- PostgreSQL database dump complete`. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly input: Readable,
    private readonly where: string,
    private readonly options: ScriptOptions = { allowTruncated: false },
  ) {
    this.cursor = new ScriptCursor(this.keepingTail(input), where);
  }

  private async *keepingTail(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    let first = true;
    for await (const piece of input) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      // pg_dump's custom and directory archives start with PGDMP: binary, not a script to read.
      if (first && chunk.subarray(0, 5).toString('latin1') === 'PGDMP') {
        throw new ReplibyteError(`${this.where} is a pg_dump custom-format archive, not a script`, "use pg_dump's plain format (-Fp)");
      }
      first = false;
      this.tail = chunk.length >= TAIL_BYTES ? chunk.subarray(-TAIL_BYTES) : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
      yield chunk;
    }
  }

  /** True when the script ends with pg_dump's last line (then only comments, blank lines and `\\unrestrict`). */
  private completed(): boolean {
    const lines = this.tail.toString('utf8').split('\n').map((line) => line.trim());
    const at = lines.lastIndexOf(TRAILER);
    return at !== -1 && lines.slice(at + 1).every((line) => line === '' || line.startsWith('--') || /^\\unrestrict\b/.test(line));
  }

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    this.reporter = context.reporter;
    this.skipLargeObjects = context.config.source?.large_objects === 'skip';
    const selection = new ScriptSelection(context.config, (table) => this.catalog.ancestors(table));
    const source = context.config.source;
    this.filter = new SkipFilter(selection, [source?.skip, source?.skip_data, source?.only_tables].some((list) => (list ?? []).length > 0));
    context.reporter.info(`reading ${this.where} as a PostgreSQL dump`);
    await sink.writePart({ kind: 'sql', section: 'pre-data', label: 'schema (pre-data)', encoding: 'sql' }, this.schemaStatements());
    const prepared = await this.prepare(selection, context);
    let pending: string[] = [];
    let pendingBytes = 0;
    let wrotePostData = false;
    let event: ScriptEvent | undefined;
    while ((event = await this.cursor.peek())) {
      if (this.isData(event)) {
        if (pending.length > 0) {
          await sink.writePart({ kind: 'sql', section: 'data', label: 'statements between data', encoding: 'sql' }, Readable.from(pending.map((s) => Buffer.from(s))));
          pending = [];
          pendingBytes = 0;
        }
        if (event.kind === 'copy-start') await this.copyBlock(sink, prepared, context);
        else if (isLargeObjectOpen(event)) await this.largeObjectBlock(sink, context);
        else await this.insertRun(sink, prepared, context);
        continue;
      }
      const text = await this.nextNonData();
      if (text) {
        pending.push(text);
        pendingBytes += text.length;
      }
      if (pendingBytes > PENDING_LIMIT) {
        // Too much to hold: this is the post-data section (a later data statement starts new parts).
        const held = pending;
        pending = [];
        pendingBytes = 0;
        await sink.writePart({ kind: 'sql', section: 'post-data', label: 'schema (post-data)', encoding: 'sql' }, this.schemaStatements(held));
        wrotePostData = true;
      }
    }
    if (pending.length > 0 || !wrotePostData) await sink.writePart({ kind: 'sql', section: 'post-data', label: 'schema (post-data)', encoding: 'sql' }, Readable.from(pending.map((s) => Buffer.from(s))));
    const completed = this.completed();
    if (!completed) {
      const problem = truncatedScript(this.where, 'pg_dump', TRAILER, this.cursor.last);
      if (!this.options.allowTruncated) throw new ReplibyteError(`${problem}; nothing was stored`, 'pass --allow-truncated to store it anyway');
      context.reporter.warn(`${problem}; stored anyway (--allow-truncated)`);
    }
    if (this.largeObjects.size > 0 && !this.skipLargeObjects) {
      context.reporter.warn(`${this.largeObjects.size} large object(s) created by the script have no content block in it (a schema-only script?): left out`);
    }
    return {
      engine: { kind: 'postgresql', ...(this.serverVersion && { serverVersion: this.serverVersion }), ...(this.dumpTool && { dumpTool: this.dumpTool }) },
      source: { kind: 'script', ...(this.database && { database: this.database }), ...(!completed && { truncated: true }) },
      schemas: [...this.catalog.schemas].sort(),
      transformed: prepared.plan.transformed,
    };
  }

  /** Non-data statements up to the next data statement (or the end), after `held` ones. */
  private async *schemaStatements(held: string[] = []): AsyncGenerator<Buffer> {
    for (const text of held) yield Buffer.from(text);
    let event: ScriptEvent | undefined;
    while ((event = await this.cursor.peek()) && !this.isData(event)) {
      const text = await this.nextNonData();
      if (text) yield Buffer.from(text);
    }
  }

  /**
   * The next non-data statement's text (or undefined to drop it). pg_dump wraps its large objects'
   * content in `BEGIN; … COMMIT;`: that BEGIN is dropped (a restore runs in its own transaction, which a
   * script's COMMIT would end early), as is the COMMIT (largeObjectBlock).
   */
  private async nextNonData(): Promise<string | undefined> {
    const event = await this.cursor.next();
    const text = this.nonData(event);
    if (event?.kind === 'statement' && readLargeObjectStatement(event.sql)?.kind === 'begin') {
      const next = await this.cursor.peek();
      if (next && isLargeObjectOpen(next)) return undefined;
    }
    return text;
  }

  /** Large-object statements of the schema: true when the statement is taken here (not written as SQL). */
  private takeLargeObjectStatement(sql: string): boolean {
    const statement = readLargeObjectStatement(sql);
    if (!statement) return false;
    const entry = (oid: number) => {
      let found = this.largeObjects.get(oid);
      if (!found) this.largeObjects.set(oid, (found = {}));
      return found;
    };
    switch (statement.kind) {
      case 'create':
        entry(statement.oid);
        return true;
      case 'owner':
        entry(statement.oid).owner = statement.role;
        return true;
      case 'comment':
        entry(statement.oid).comment = statement.text;
        return true;
      case 'privileges':
        // Kept as SQL (they follow the content in the script), unless the objects are left out.
        return this.skipLargeObjects;
      default:
        return false;
    }
  }

  /**
   * A BLOBS block of the script (`lo_open('oid', …)`, `lowrite(0, '\x…')`…, `lo_close(0)` per object,
   * then `COMMIT`) as a large-objects part, with the owner and comment the schema gave each object: one
   * statement at a time, never an object whole. With `large_objects: skip`, read and left out, and said.
   */
  private async largeObjectBlock(sink: PartSink, context: DumpContext): Promise<void> {
    if (context.config.source?.strict) refuseUndecidedLargeObjects(context, this.largeObjects.size || 1);
    const totals: LargeObjectTotals = { objects: 0, bytes: 0 };
    const skip = this.skipLargeObjects;
    const records = async function* (this: PgScriptSource): AsyncGenerator<Buffer> {
      for (;;) {
        const event = await this.cursor.peek();
        const statement = event?.kind === 'statement' ? readLargeObjectStatement(event.sql) : undefined;
        if (statement?.kind === 'commit') await this.cursor.next();
        if (statement?.kind !== 'open') return;
        await this.cursor.next();
        const known = this.largeObjects.get(statement.oid);
        this.largeObjects.delete(statement.oid);
        if (!skip) yield encodeHeader({ oid: statement.oid, owner: known?.owner ?? null, acl: null, comment: known?.comment ?? null });
        for (;;) {
          const next = await this.cursor.next();
          const piece = next?.kind === 'statement' ? readLargeObjectStatement(next.sql) : undefined;
          if (piece?.kind === 'close') break;
          if (piece?.kind !== 'write') {
            throw new ReplibyteError(`${this.where}, line ${next?.lineNumber ?? '?'}: large object ${statement.oid}: expected lowrite(0, …) or lo_close(0)`);
          }
          totals.bytes += piece.bytes.length;
          if (!skip) yield* encodePieces(piece.bytes);
        }
        if (!skip) yield encodeEnd();
        totals.objects += 1;
      }
    }.call(this);
    if (skip) {
      for await (const piece of records) void piece;
      context.reporter.warn(skippedWarning(totals.objects));
      return;
    }
    try {
      await sink.writePart({ kind: 'large-objects', section: 'data', label: 'large objects', encoding: 'pg-large-objects' }, records);
    } catch (error) {
      throw withContext('dumping the large objects', error);
    }
    context.reporter.warn(copiedWarning(totals));
  }

  /** Reads one statement or meta-command that is not data: the text to write, or undefined to drop it. */
  private nonData(event: ScriptEvent | undefined): string | undefined {
    if (!event) return undefined;
    const where = `${this.where}, line ${event.lineNumber ?? '?'}`;
    if (event.kind === 'meta') {
      const connect = connectTarget(event.line);
      if (connect !== undefined) {
        this.selectDatabase(connect, where, event.line);
        return undefined;
      }
      if (!IGNORED_META.test(event.line)) {
        throw new ReplibyteError(`${where}: the psql meta-command ${event.line.split(/\s/)[0]} is not supported in a dump script (a restore runs without psql)`);
      }
      return `${event.line}\n`;
    }
    if (event.kind !== 'statement') throw new ReplibyteError(`${where}: unexpected COPY data`);
    const sql = event.sql;
    this.readHeader(sql);
    const scope = pgDatabaseScope(sql);
    if (scope?.action === 'refuse') throw new ReplibyteError(`${where}: \`${excerpt(sql)}\` ${scope.what}: a restore writes only into the destination database; nothing was stored`);
    if (scope) {
      if (scope.selects !== undefined) this.selectDatabase(scope.selects, where, sql);
      else this.reporter?.warn(`${where}: left out \`${excerpt(sql)}\` (it ${scope.what}): a restore goes into the destination database only`);
      return undefined;
    }
    const encoding = /^\s*SET\s+client_encoding\s*=\s*'([^']*)'/im.exec(sql)?.[1];
    if (encoding && !/^utf-?8$/i.test(encoding)) {
      throw new ReplibyteError(`${where}: the script is in ${encoding}; only UTF8 scripts are supported (pg_dump -E UTF8)`);
    }
    if (this.takeLargeObjectStatement(sql)) return undefined;
    try {
      this.catalog.read(sql);
    } catch (error) {
      throw this.syntaxError(error, where);
    }
    if (!this.filter!.keeps(sql, where)) return undefined;
    return `${sql}\n\n`;
  }

  /**
   * CREATE DATABASE and \\connect of a `pg_dump -C` script are left out (a restore goes into the
   * destination database); the name is recorded. A script that goes on to a second database
   * (pg_dumpall) is refused: its tables would all land in one.
   */
  private selectDatabase(name: string, where: string, statement: string): void {
    if (this.database !== undefined && this.database !== name) {
      throw new ReplibyteError(`${where}: \`${excerpt(statement)}\` switches from the database ${this.database} to ${name}: the script holds several databases (pg_dumpall?); dump one database with pg_dump; nothing was stored`);
    }
    if (this.database === undefined) this.reporter?.warn(`${where}: left out \`${excerpt(statement)}\`: a restore goes into the destination database; the script's database ${name} is recorded`);
    this.database = name;
  }

  private readHeader(sql: string): void {
    if (this.serverVersion && this.dumpTool) return;
    this.serverVersion ??= /^-- Dumped from database version (\S+)/m.exec(sql)?.[1];
    const tool = /^-- Dumped by pg_dump version (\S+)/m.exec(sql)?.[1];
    if (tool) this.dumpTool ??= `pg_dump ${tool}`;
  }

  private isData(event: ScriptEvent): boolean {
    return event.kind === 'copy-start' || (event.kind === 'statement' && startsWithInsert(event.sql)) || isLargeObjectOpen(event);
  }

  /** Runs once, at the first data statement (or the end): the config is checked against the script's tables. */
  private async prepare(selection: ScriptSelection, context: DumpContext): Promise<Prepared> {
    if (this.prepared) return this.prepared;
    selection.check(this.catalog.tables);
    const plan = planTransforms(context.config, this.catalog.tables, context.registry, context.salt, (table) => table.columns.map((c) => c.name));
    // `constant` values parsed by a PostgreSQL server of the config, when one answers (script-value-check.ts).
    await refuseFixedValues(context.config, this.catalog.tables, plan.transformed, scriptValueCheck(context.config, 'postgresql', context.reporter));
    if (context.config.source?.strict) {
      // Loaded on use: the scan's proposals need faker's name lists. A script has no rows to sample
      // before its data, so the proposal goes by column names and types.
      const { enforceStrict } = await import('../../check/strict.js');
      const tables = this.catalog.tables;
      await enforceStrict(
        { config: context.config, tables, dataTables: tables.filter((table) => selection.keepsRows(table)), transformed: plan.transformed, ancestors: (table) => this.catalog.ancestors(table) },
        { registry: context.registry },
      );
    }
    this.prepared = { selection, plan };
    return this.prepared;
  }

  /** The transforms of a table, by position in the column list of one data statement. */
  private transformsFor(plan: TransformPlan, table: TableName, columns: string[]): ColumnTransform[] {
    const planned = plan.tables.get(tableKey(table.schema, table.name))?.transforms ?? [];
    const known = this.catalog.find(table);
    return planned.flatMap((t) => {
      const index = columns.indexOf(known?.columns[t.index]?.name ?? '');
      return index === -1 ? [] : [{ index, apply: t.apply }];
    });
  }

  private async copyBlock(sink: PartSink, prepared: Prepared, context: DumpContext): Promise<void> {
    const start = (await this.cursor.next()) as ScriptEvent & { kind: 'copy-start' };
    const where = `${this.where}, line ${start.lineNumber ?? '?'}`;
    const copy = parseCopyStatement(start.sql);
    if (!copy) throw new ReplibyteError(`${where}: cannot read the COPY statement`);
    const label = tableLabel(copy.table);
    const columns = copy.columns ?? this.catalog.find(copy.table)?.columns.filter((c) => !c.generated).map((c) => c.name);
    if (!columns) throw new ReplibyteError(`${where}: COPY ${label} has no column list and the script does not create the table`);
    const rows = this.copyRows(columns.length, label);
    if (!prepared.selection.keepsRows(copy.table)) {
      for await (const piece of rows) void piece;
      context.reporter.info(`  ${label}: rows left out`);
      return;
    }
    const transforms = this.transformsFor(prepared.plan, copy.table, columns);
    let data: AsyncIterable<Buffer> = rows;
    if (transforms.length > 0) {
      const rewrite = new CopyRowTransform(columns, transforms, `table ${label}`);
      pipeline(Readable.from(rows), rewrite).catch(() => undefined);
      data = rewrite;
    }
    try {
      const part = await sink.writePart({ kind: 'table-data', section: 'data', label, schema: copy.table.schema, table: copy.table.name, columns, encoding: 'pg-copy-text' }, data);
      reportPartWritten(context.reporter, label, part.rows, 'rows', transforms.length > 0 ? `, ${transforms.length} column(s) transformed` : '');
    } catch (error) {
      throw withContext(`dumping table ${label}`, error);
    }
  }

  private async *copyRows(fields: number, label: string): AsyncGenerator<Buffer> {
    for (;;) {
      const event = await this.cursor.next();
      if (!event || event.kind === 'copy-end') return;
      if (event.kind !== 'copy-data') throw new ReplibyteError(`${this.where}: unexpected ${event.kind} inside the COPY data of ${label}`);
      checkCopyFields(event.data, fields, event.lineNumber ?? 0, this.where, label);
      yield Buffer.from(event.data);
    }
  }

  /** Consecutive INSERT statements into one table: one `sql` data part, transformed values rewritten. */
  private async insertRun(sink: PartSink, prepared: Prepared, context: DumpContext): Promise<void> {
    const first = (await this.cursor.peek()) as ScriptEvent & { kind: 'statement' };
    const table = readInsertTable(first.sql);
    if (!table) throw new ReplibyteError(`${this.where}, line ${first.lineNumber ?? '?'}: cannot read the table of this INSERT`);
    const label = tableLabel(table);
    const keeps = prepared.selection.keepsRows(table);
    const known = this.catalog.find(table);
    const counted = { rows: 0, statements: 0 };
    const statements = async function* (this: PgScriptSource): AsyncGenerator<Buffer> {
      let event: ScriptEvent | undefined;
      while ((event = await this.cursor.peek()) && event.kind === 'statement' && startsWithInsert(event.sql)) {
        const other = readInsertTable(event.sql);
        if (!other || !sameTable(other, table)) return;
        await this.cursor.next();
        counted.statements += 1;
        if (!keeps) continue;
        let sql = event.sql;
        const planned = prepared.plan.tables.get(tableKey(table.schema, table.name))?.transforms ?? [];
        if (planned.length > 0) {
          try {
            const where = `${this.where}, line ${event.lineNumber ?? '?'}`;
            const columnsOf = () => {
              // The values follow the source table's column order, which an inheritance child's CREATE TABLE does not tell.
              if (known?.columnOrderGuessed) throw new ReplibyteError(`${where}: INSERT INTO ${label} without a column list: ${label} inherits columns, and the script does not tell their order in the source; dump it with pg_dump --column-inserts`);
              return (known?.columns ?? []).map((c) => c.name);
            };
            const rewritten = rewriteInsert(sql, columnsOf, (columns) => this.rewritesFor(prepared.plan, table, columns));
            sql = rewritten.sql;
            counted.rows += rewritten.rows;
          } catch (error) {
            throw this.syntaxError(error, `${this.where}, line ${event.lineNumber ?? '?'}`);
          }
        }
        yield Buffer.from(`${sql}\n`);
      }
    }.call(this);
    if (!keeps) {
      for await (const piece of statements) void piece;
      context.reporter.info(`  ${label}: rows left out`);
      return;
    }
    try {
      await sink.writePart({ kind: 'sql', section: 'data', label: `${label} (INSERT statements)`, encoding: 'sql' }, statements);
    } catch (error) {
      throw withContext(`dumping table ${label}`, error);
    }
    const transformed = counted.rows > 0 ? `, ${counted.rows} rows transformed` : '';
    context.reporter.info(`  ${label}: ${counted.statements} INSERT statements${transformed}`);
  }

  private rewritesFor(plan: TransformPlan, table: TableName, columns: string[]): ColumnRewrite[] {
    return this.transformsFor(plan, table, columns).map((t) => ({
      index: t.index,
      apply: (value, valueAt) => t.apply(value, { get: (column) => valueAt(columns.indexOf(column)) }),
    }));
  }

  private syntaxError(error: unknown, where: string): Error {
    if (error instanceof SqlSyntaxError) return new ReplibyteError(`${where}: ${error.message}`);
    return error instanceof Error ? error : new Error(String(error));
  }

  async close(): Promise<void> {
    this.input.destroy();
  }
}

/** The statement's first line past its leading comments, for messages. */
function excerpt(sql: string): string {
  const text = sql.replace(/^(?:\s+|--[^\n]*\n)*/, '').replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The statement, past its leading comments, is an INSERT. */
function startsWithInsert(sql: string): boolean {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i] as string)) i += 1;
    if (sql.startsWith('--', i)) {
      const newline = sql.indexOf('\n', i);
      if (newline === -1) return false;
      i = newline + 1;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i);
      if (close === -1) return false;
      i = close + 2;
    } else break;
  }
  return /^insert\s/i.test(sql.slice(i, i + 7));
}

/** The first statement of a large object's content in a pg_dump script. */
function isLargeObjectOpen(event: ScriptEvent): boolean {
  return event.kind === 'statement' && /^(?:\s+|--[^\n]*\n)*SELECT\s+pg_catalog\.lo_open\(/i.test(event.sql) && readLargeObjectStatement(event.sql)?.kind === 'open';
}
