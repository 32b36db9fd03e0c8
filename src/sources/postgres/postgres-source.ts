import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { copyOut } from './copy-out.js';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import { rowRewriteStream } from '../../encode/parallel-row-transform.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { selectTables, type TableSelection } from '../../selection/table-selection.js';
import { KEEP_TABLE_BUFFERS } from '../../subset/postgres/postgres-subset.js';
import { preparePostgresSubset, type PostgresSubset } from '../../subset/postgres/postgres-subset-run.js';
import { planTransforms, tableKey, type TransformPlan } from '../../transformers/plan.js';
import { refuseFixedValues } from '../../transformers/fixed-values.js';
import { checkValuesInPostgres } from '../../engines/postgres/value-check.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { qualifiedName, quoteIdentifier, quoteLiteral, readCatalog, type Catalog, type TableInfo } from '../../engines/postgres/catalog.js';
import { connectPostgres, explainLostClients, redactUri } from '../../engines/postgres/connection.js';
import { copiedWarning, countLargeObjects, largeObjectStream, refuseUndecidedLargeObjects, skippedWarning, type LargeObjectTotals } from './large-objects.js';
import { findPgDump, pgDumpSection } from './pg-dump.js';
import { closeSnapshotWorkers, defaultJobs, openSnapshotWorkers, READ_SETTINGS, runOnLanes } from './snapshot-workers.js';
import { reportPartWritten } from '../../reporting/reporter.js';

export interface PostgresSourceOptions {
  subset?: boolean;
  /** Connections reading table data at once (default: the number of cores). 1 reads everything over one. */
  jobs?: number;
}

/** The task that reads the large objects, beside the tables' tasks. */
const LARGE_OBJECTS = 'large-objects';

/** Tables larger than this are read in key ranges on a parallel dump (REPLIBYTE_SPLIT_TABLE_BYTES overrides). */
const SPLIT_TABLE_BYTES = 1024 * 1024 * 1024;

/** A slice of a table's rows by its primary key's first column (an integer). */
interface KeyRange {
  /** The condition on the key, e.g. `"id" >= 1000 AND "id" < 2000`. */
  where: string;
  index: number;
  count: number;
}

/** What one dump task reads: a table, or one key range of it. */
interface TableRead {
  table: TableInfo;
  range?: KeyRange;
}

/**
 * A live PostgreSQL database, dumped in one consistent snapshot: a REPEATABLE READ transaction exports
 * its snapshot; pg_dump writes the schema sections from it (`--snapshot`), and the rows are read by
 * `COPY … TO STDOUT` inside that same transaction. The source is only ever read (READ ONLY).
 * With `database_subset`, the transaction begins read-write only long enough to create the subset's
 * temporary keep tables (a read-only transaction may write temporary tables but not create them), and is
 * made READ ONLY before any statement of the user's runs (dumpEverything; docs/decisions/0040).
 *
 * With `jobs` > 1, table data is read over several connections at once, all importing the exported
 * snapshot (src/sources/postgres/snapshot-workers.ts), largest tables first; the schema sections run
 * in their pg_dump processes meanwhile. A table whose rows a subset restricts is read on the main
 * connection only: the kept keys live in temporary tables no other session can see. A table over the
 * split size is read in key ranges, one per connection (keyRanges).
 */
export class PostgresSource implements DumpSource {
  /** The snapshot workers of the parallel dump: `close` ends them too (ending an ended one does nothing). */
  private readonly workers = new Set<pg.Client>();
  /** Stops the pg_dump processes when the source is closed mid-dump (an error elsewhere, Ctrl-C). */
  private readonly closed = new AbortController();

  private constructor(
    private readonly uri: string,
    private readonly client: pg.Client,
    private readonly snapshot: string,
    readonly catalog: Catalog,
    private readonly jobs: number,
  ) {}

  static async open(uri: string, options: PostgresSourceOptions = {}): Promise<PostgresSource> {
    const client = await connectPostgres(uri, 'source');
    try {
      // Temporary tables live in the session's own buffers, 8 MB by default: set before the session first
      // touches a temporary table (memory is taken only as it is used; decision 0026).
      if (options.subset) await client.query(`SET temp_buffers = '${KEEP_TABLE_BUFFERS}'`);
      await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ${options.subset ? '' : ', READ ONLY'}`);
      await client.query(READ_SETTINGS);
      const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      const catalog = await readCatalog(client);
      return new PostgresSource(uri, client, snapshot, catalog, Math.max(1, Math.floor(options.jobs ?? defaultJobs())));
    } catch (error) {
      await client.end().catch(() => undefined);
      const lost = explainLostClients(error, 'source', uri, [client]);
      throw lost === error ? withContext(`reading the source ${redactUri(uri)}`, error) : lost;
    }
  }

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    try {
      return await this.dumpEverything(sink, context);
    } catch (error) {
      throw explainLostClients(error, 'source', this.uri, [this.client, ...this.workers]);
    }
  }

  private async dumpEverything(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    const { catalog } = this;
    // Check everything the config names before reading a row, and report every problem at once.
    const [selection, plan] = collectProblems(
      () => selectTables(context.config, catalog.tables, `the source database ${catalog.database}`),
      () => planTransforms(context.config, catalog.tables, context.registry, context.salt, dumpedColumns, catalog.foreignKeys),
    );
    // The subset's keep tables are created first, then the transaction turns read-only for good: no
    // statement of the user's (a subset `where`, an `order_by`) runs in a transaction that could write.
    const preparedSubset = await preparePostgresSubset(this.client, context.config, catalog.foreignKeys, selection, context.reporter);
    await this.client.query('SET TRANSACTION READ ONLY');
    await this.checkDependencies(selection);
    await refuseFixedValues(context.config, catalog.tables, plan.transformed, (values) => checkValuesInPostgres(this.client, values));
    if (context.config.source?.strict) {
      await this.enforceStrict(selection, plan, context);
      refuseUndecidedLargeObjects(context, await countLargeObjects(this.client));
    }
    sink.planned?.(plan.transformed);
    for (const column of plan.transformed) {
      if (column.propagatedFrom) {
        context.reporter.info(`${column.schema}.${column.table}.${column.column}: ${column.transformer}, as its key ${column.propagatedFrom} (foreign key)`);
      }
    }
    const binary = await findPgDump(catalog.serverMajor);
    const excludeTables = selection.excluded;
    context.reporter.info(`dumping ${catalog.database} (PostgreSQL ${catalog.serverVersion}) with pg_dump ${binary.version}`);
    // pg_dump writes the schema from the exported snapshot while the subset (if any) walks: neither waits.
    const preData = sink.writePart(
      { kind: 'sql', section: 'pre-data', label: 'schema (pre-data)', encoding: 'sql' },
      pgDumpSection({ binary, uri: this.uri, section: 'pre-data', snapshot: this.snapshot, excludeTables, signal: this.closed.signal }),
    );
    preData.catch(() => undefined);
    let subset: PostgresSubset | undefined;
    try {
      subset = await preparedSubset?.walk();
    } catch (error) {
      // Nothing may still be writing when the caller aborts the dump and removes its chunks.
      this.closed.abort();
      await preData.catch(() => undefined);
      throw error;
    }
    const dataTables = catalog.tables.filter((table) => table.kind === 'r' && selection.hasData(table));
    context.reporter.progress?.({
      type: 'start',
      operation: 'dump',
      tables: dataTables.length,
      estimatedRows: dataTables.reduce((sum, table) => sum + Math.max(0, table.estimatedRows), 0),
    });

    const tables = catalog.tables.filter((table) => table.kind === 'r' && selection.hasData(table));
    const sizes = this.jobs > 1 ? await this.tableSizes() : new Map<string, number>();
    const tasks: Array<{ item: TableRead | typeof LARGE_OBJECTS; mainOnly: boolean; size: number }> = [];
    if (await this.keepsLargeObjects(context)) {
      tasks.push({ item: LARGE_OBJECTS, mainOnly: false, size: sizes.get(tableKey('pg_catalog', 'pg_largeobject')) ?? 0 });
    }
    for (const table of tables) {
      const subsetRows = subset?.rowsOf(table, dumpedColumns(table)).kind ?? 'all';
      const mainOnly = subsetRows === 'kept';
      const size = sizes.get(tableKey(table.schema, table.name)) ?? 0;
      const ranges = subsetRows !== 'all' ? [] : await this.keyRanges(table, size);
      if (ranges.length === 0) tasks.push({ item: { table }, mainOnly, size });
      for (const range of ranges) tasks.push({ item: { table, range }, mainOnly, size: size / ranges.length });
    }
    tasks.sort((a, b) => b.size - a.size); // largest first: the longest table should not start last
    const workers = this.jobs > 1 && tasks.length > 1 ? await openSnapshotWorkers(this.uri, this.snapshot, Math.min(this.jobs, tasks.length) - 1) : [];
    for (const worker of workers) this.workers.add(worker);
    if (this.closed.signal.aborted) {
      await this.close();
      throw new ReplibyteError(`the source ${redactUri(this.uri)} was closed during the dump`);
    }
    let tail: Promise<unknown> | undefined;
    // The sequence values and the post-data section take their manifest places once every table has
    // taken its own, and run while the last tables are still being read.
    const startTail = () => {
      const sequences = sink.writePart({ kind: 'sql', section: 'data', label: 'sequence values', encoding: 'sql' }, this.sequenceValues(selection, workers[0] ?? this.client));
      const postData = sink.writePart(
        { kind: 'sql', section: 'post-data', label: 'schema (post-data)', encoding: 'sql' },
        pgDumpSection({ binary, uri: this.uri, section: 'post-data', snapshot: this.snapshot, excludeTables, signal: this.closed.signal }),
      );
      tail = Promise.all([sequences, postData]);
      tail.catch(() => undefined);
    };
    let data: Promise<void> | undefined;
    try {
      const clients = [this.client, ...workers];
      const run = (item: TableRead | typeof LARGE_OBJECTS, lane: number) =>
        item === LARGE_OBJECTS ? this.dumpLargeObjects(clients[lane]!, sink, context) : this.dumpTable(clients[lane]!, item, plan, sink, context, subset);
      data = runOnLanes(tasks, clients.length, run, workers.length > 0 ? startTail : undefined);
      await Promise.all([preData, data]);
      if (!tail) startTail();
      await tail;
    } finally {
      // Nothing may still be writing when the caller aborts the dump and removes its chunks.
      await Promise.allSettled([preData, data, tail]);
      await closeSnapshotWorkers(workers);
    }
    return {
      engine: { kind: 'postgresql', serverVersion: catalog.serverVersion, dumpTool: `pg_dump ${binary.version}` },
      source: {
        kind: 'live',
        database: catalog.database,
        ...(catalog.systemIdentifier && { systemIdentifier: catalog.systemIdentifier }),
      },
      schemas: catalog.schemas,
      transformed: plan.transformed,
    };
  }

  /** Strict mode: refuses, before anything is written, while a dumped column is undecided. */
  private async enforceStrict(selection: TableSelection, plan: TransformPlan, context: DumpContext): Promise<void> {
    // Loaded on use: the scan's proposals need faker's name lists, which a plain dump does not.
    const { enforceStrict } = await import('../../check/strict.js');
    const { postgresSampler, readTableAncestors, readPrimaryKeys } = await import('../../scan/source-scan.js');
    const ancestry = await readTableAncestors(this.client);
    const { tables, foreignKeys } = this.catalog;
    await enforceStrict(
      {
        config: context.config,
        tables,
        dataTables: tables.filter((table) => table.kind === 'r' && selection.hasData(table)),
        transformed: plan.transformed,
        ancestors: (table) => ancestry.get(JSON.stringify([table.schema, table.name])) ?? [],
      },
      { registry: context.registry, foreignKeys, primaryKeys: await readPrimaryKeys(this.client), sampler: postgresSampler(this.client) },
    );
  }

  /** Bytes on disk per table (heap and TOAST), to start the largest first. */
  private async tableSizes(): Promise<Map<string, number>> {
    const { rows } = await this.client.query<{ schema: string; name: string; bytes: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, pg_table_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'`,
    );
    return new Map(rows.map((row) => [tableKey(row.schema, row.name), Number(row.bytes)]));
  }

  /**
   * A table larger than the split size, on a parallel dump, whose primary key starts with an integer
   * column: read in as many key ranges as there are connections (at most one per split size), each
   * range a data part of its own, so one large table does not leave the other connections idle. Empty
   * (read whole) otherwise. The ranges cut [min, max] of the key evenly; the first and last are open, so
   * every row falls in exactly one whatever the keys are.
   */
  private async keyRanges(table: TableInfo, bytes: number): Promise<KeyRange[]> {
    const splitBytes = Number(process.env.REPLIBYTE_SPLIT_TABLE_BYTES) || SPLIT_TABLE_BYTES;
    const count = Math.min(this.jobs, Math.ceil(bytes / splitBytes));
    if (this.jobs < 2 || count < 2) return [];
    const name = qualifiedName(table.schema, table.name);
    const { rows: keys } = await this.client.query<{ column: string }>(
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = $1::regclass AND i.indisprimary AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`,
      [name],
    );
    const column = keys[0]?.column;
    if (column === undefined) return [];
    const key = quoteIdentifier(column);
    const { rows } = await this.client.query<{ low: string | null; high: string | null }>(`SELECT min(${key})::text AS low, max(${key})::text AS high FROM ONLY ${name}`);
    const low = rows[0]?.low;
    const high = rows[0]?.high;
    if (low === null || low === undefined || high === null || high === undefined) return [];
    const span = BigInt(high) - BigInt(low) + 1n;
    const parts = BigInt(count) < span ? count : Number(span);
    if (parts < 2) return [];
    const bounds = Array.from({ length: parts - 1 }, (_, i) => (BigInt(low) + (span * BigInt(i + 1)) / BigInt(parts)).toString());
    return Array.from({ length: parts }, (_, i) => {
      const from = i === 0 ? undefined : `${key} >= ${bounds[i - 1]}`;
      const to = i === parts - 1 ? undefined : `${key} < ${bounds[i]}`;
      return { where: [from, to].filter(Boolean).join(' AND '), index: i + 1, count: parts };
    });
  }

  private async dumpTable(client: pg.Client, read: TableRead, plan: TransformPlan, sink: PartSink, context: DumpContext, subset?: PostgresSubset): Promise<void> {
    const { table, range } = read;
    const columns = dumpedColumns(table);
    const label = `${table.schema}.${table.name}${range ? ` (key range ${range.index} of ${range.count})` : ''}`;
    const list = columns.map(quoteIdentifier).join(', ');
    const rows = subset?.rowsOf(table, columns) ?? { kind: 'all' };
    // A table the subset does not reach keeps its schema and an empty part: it is a table of the dump, as
    // an empty table is in a full one (the same count in the summary and the restore).
    const statement =
      rows.kind === 'kept'
        ? rows.copy
        : rows.kind === 'none'
          ? `COPY (SELECT ${list} FROM ONLY ${qualifiedName(table.schema, table.name)} WHERE false) TO STDOUT`
          : range
            ? `COPY (SELECT ${list} FROM ONLY ${qualifiedName(table.schema, table.name)} WHERE ${range.where}) TO STDOUT`
            : `COPY ${qualifiedName(table.schema, table.name)} (${list}) TO STDOUT`;
    const copy = client.query(copyOut(statement));
    const transforms = plan.tables.get(tableKey(table.schema, table.name))?.transforms ?? [];
    const estimatedRows = table.estimatedRows >= 0 ? Math.round(table.estimatedRows / (range?.count ?? 1)) : -1;
    context.reporter.progress?.({ type: 'table-start', table: label, ...(estimatedRows >= 0 && { estimatedRows }) });
    let data: AsyncIterable<Buffer> = copy;
    if (transforms.length > 0) {
      const rewrite = rowRewriteStream(columns, transforms, `table ${label}`, estimatedRows);
      pipeline(copy, rewrite).catch(() => undefined);
      data = rewrite;
    }
    try {
      const part = await sink.writePart(
        { kind: 'table-data', section: 'data', label, schema: table.schema, table: table.name, columns, encoding: 'pg-copy-text' },
        data,
      );
      reportPartWritten(context.reporter, label, part.rows, 'rows', transforms.length > 0 ? `, ${transforms.length} column(s) transformed` : '');
    } catch (error) {
      if (!copy.readableEnded) await abandonCopy(client, copy);
      throw withContext(`dumping table ${label}`, error);
    }
  }

  /**
   * Whether the dump copies the large objects: not when there are none, nor with `large_objects: skip`,
   * which is said with their count (never a silent drop).
   */
  private async keepsLargeObjects(context: DumpContext): Promise<boolean> {
    const count = await countLargeObjects(this.client);
    if (count === 0) return false;
    if (context.config.source?.large_objects === 'skip') {
      context.reporter.warn(skippedWarning(count));
      return false;
    }
    return true;
  }

  private async dumpLargeObjects(client: pg.Client, sink: PartSink, context: DumpContext): Promise<void> {
    const totals: LargeObjectTotals = { objects: 0, bytes: 0 };
    try {
      await sink.writePart({ kind: 'large-objects', section: 'data', label: 'large objects', encoding: 'pg-large-objects' }, largeObjectStream(client, totals));
    } catch (error) {
      throw withContext('dumping the large objects', error);
    }
    context.reporter.warn(copiedWarning(totals));
  }

  private async *sequenceValues(selection: TableSelection, client: pg.ClientBase): AsyncGenerator<Buffer> {
    for (const sequence of this.catalog.sequences) {
      if (sequence.ownerTable && selection.isExcluded({ schema: sequence.ownerSchema!, name: sequence.ownerTable })) continue;
      const name = qualifiedName(sequence.schema, sequence.name);
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`);
      const row = rows[0]!;
      yield Buffer.from(`SELECT pg_catalog.setval(${quoteLiteral(name)}, ${row.last_value}, ${row.is_called});\n`);
    }
  }

  /**
   * Refuses a selection whose dump could not be restored: a kept table whose foreign key points at a
   * skipped table (or at one whose rows are left out), a view built on a skipped table.
   */
  private async checkDependencies(selection: TableSelection): Promise<void> {
    const problems: string[] = [];
    const isWithoutData = (schema: string, name: string) => !selection.hasData({ schema, name }) && !selection.isExcluded({ schema, name });
    for (const fk of this.catalog.foreignKeys) {
      const from = { schema: fk.schema, name: fk.table };
      const to = { schema: fk.referencedSchema, name: fk.referencedTable };
      if (selection.isExcluded(from)) continue;
      if (selection.isExcluded(to)) {
        problems.push(`${fk.schema}.${fk.table} references the skipped table ${to.schema}.${to.name} (foreign key ${fk.name}): skip ${fk.schema}.${fk.table} too, or do not skip ${to.schema}.${to.name}`);
      } else if (isWithoutData(to.schema, to.name) && selection.hasData(from)) {
        problems.push(`${fk.schema}.${fk.table} references ${to.schema}.${to.name}, whose rows skip_data leaves out (foreign key ${fk.name}): its rows could not be restored; add ${fk.schema}.${fk.table} to skip_data too`);
      }
    }
    if (selection.excluded.length > 0) {
      const names = selection.excluded.map((t) => qualifiedName(t.schema, t.name));
      const { rows } = await this.client.query<{ schema: string; name: string; base: string }>(
        `SELECT DISTINCT vn.nspname AS schema, v.relname AS name, format('%s.%s', bn.nspname, b.relname) AS base
         FROM pg_depend d
         JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
         JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
         JOIN pg_class b ON b.oid = d.refobjid JOIN pg_namespace bn ON bn.oid = b.relnamespace
         WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::regclass[]) AND v.oid <> d.refobjid`,
        [names],
      );
      for (const row of rows) {
        if (selection.isExcluded(row)) continue;
        problems.push(`the view ${row.schema}.${row.name} is built on the skipped table ${row.base}: skip the view too`);
      }
    }
    if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  }

  /**
   * Ends every connection of the dump and its pg_dump processes, also mid-dump (the dump then fails at
   * once): a connection whose COPY is still running cannot take the ROLLBACK, so it is cut after a moment
   * and the server ends its read-only transaction with it.
   */
  async close(): Promise<void> {
    this.closed.abort();
    await Promise.all([this.client, ...this.workers].map((client) => endReadingConnection(client)));
  }
}

/**
 * Closes a connection whose `COPY … TO STDOUT` was left unread: the datastore or a transform failed
 * mid-table. The server is still sending rows and the driver stays in COPY mode until it has read them
 * all, so any later query on this connection (the sequence values, the ROLLBACK of `close`) would wait
 * forever behind it: that wait is what kept a `dump create` whose S3 upload was cut from ever failing.
 * `end()` with a query in flight destroys the socket; the server then ends the COPY and the read-only
 * transaction. Queries queued behind the COPY fail at once instead of waiting.
 */
async function abandonCopy(client: pg.Client, copy: NodeJS.EventEmitter): Promise<void> {
  // The driver reports "Connection terminated" to the abandoned COPY: nobody reads it any more.
  copy.on('error', () => undefined);
  await client.end().catch(() => undefined);
}

/** ROLLBACK, unless the connection is busy (a COPY, a query queued behind it): then it is cut. */
async function endReadingConnection(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const busy = new Promise<void>((resolve) => (timer = setTimeout(resolve, 500)));
  await Promise.race([client.query('ROLLBACK').catch(() => undefined), busy]);
  clearTimeout(timer);
  await client.end().catch(() => undefined);
}

/** Runs independent checks and throws one error holding all their problems. */
function collectProblems<A, B>(first: () => A, second: () => B): [A, B] {
  const problems: string[] = [];
  const attempt = <T>(check: () => T): T | undefined => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ReplibyteError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const a = attempt(first);
  const b = attempt(second);
  if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  return [a as A, b as B];
}

/** The columns COPY reads and writes: generated columns are computed again on restore. */
function dumpedColumns(table: { columns: Array<{ name: string; generated?: boolean }> }): string[] {
  return table.columns.filter((column) => !column.generated).map((column) => column.name);
}
