import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Manifest, ManifestPart } from '../../dump/manifest.js';
import { readScript } from '../../encode/sql-script-reader.js';
import type { Reporter } from '../../reporting/reporter.js';
import { countNewlines } from '../../dump/chunk-streams.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { qualifiedName, quoteIdentifier } from '../../engines/postgres/catalog.js';
import { cancelRunningQueries, connectPostgres } from '../../engines/postgres/connection.js';
import type { PartReader } from '../destination.js';
import { planPostData, relationKey } from './post-data-plan.js';
import { restoreLargeObjects } from './large-object-restore.js';
import { executeScript } from './script-executor.js';
import { validateForeignKey } from './foreign-key-check.js';

interface Task {
  name: string;
  deps: string[];
  /** Larger first among the ready tasks. */
  weight: number;
  /** Ready but better left for later (it would only wait on another connection's lock): checked at each pick. */
  holdOff?: () => boolean;
  run: (client: pg.Client) => Promise<void>;
}

/** What a parallel restore got done, for the message when it fails part way. */
export interface ParallelProgress {
  tablesLoaded: number;
  tablesTotal: number;
  rows: number;
  foreignKeysPending: string[];
  /** Post-data statements (indexes, triggers, …) not run yet, foreign keys aside. */
  postDataPending: number;
  /** The connections of the restore, to tell which one was lost. */
  clients: pg.Client[];
}

/**
 * The data and post-data of a restore over `jobs` connections, once pre-data is committed: each
 * table's rows (largest first), then at once its indexes and keys on the same connection, while other
 * tables still load; the remaining post-data statements once all rows are in; each foreign key as soon
 * as both its tables are complete — added NOT VALID (catalog only, one at a time so that two never wait
 * on each other's locks), then validated, which blocks no other work. Adding takes a lock that a running
 * validation of the same table holds against it, so an addition waits (picking other work meanwhile)
 * until no validation runs on its tables, as does a second validation of one table; additions go before
 * everything else: they are cheap and each one lets a long validation start. Validations go largest
 * table first. Not one transaction: see
 * docs/decisions/0005-parallel-restore.md.
 */
export async function restoreInParallel(
  uri: string,
  manifest: Manifest,
  readPart: PartReader,
  jobs: number,
  progress: ParallelProgress,
  options: { wipe: boolean; reporter: Reporter },
  signal?: AbortSignal,
): Promise<void> {
  const dataScripts = manifest.parts.filter((part) => part.kind === 'sql' && part.section === 'data');
  const postScripts = manifest.parts.filter((part) => part.kind === 'sql' && part.section === 'post-data');
  // A table's data parts (several for a table dumped in key ranges), and their bytes (the scheduling weight).
  const partsOf = new Map<string, ManifestPart[]>();
  for (const part of manifest.parts.filter((p) => p.kind === 'table-data')) {
    const key = relationKey(part.schema!, part.table!);
    partsOf.set(key, [...(partsOf.get(key) ?? []), part]);
  }
  const bytesOf = new Map([...partsOf].map(([key, parts]) => [key, parts.reduce((sum, part) => sum + part.rawBytes, 0)]));
  const loaded = new Set(partsOf.keys());
  const statements: string[] = [];
  for (const part of postScripts) {
    for await (const event of readScript(readPart(part))) {
      if (event.kind === 'statement') statements.push(event.sql);
      else if (event.kind !== 'meta') throw new ReplibyteError(`${part.label}: a post-data section with COPY data cannot be restored in parallel; use --jobs 1`);
    }
  }
  const plan = planPostData(statements, loaded);
  progress.tablesTotal = partsOf.size;
  progress.foreignKeysPending = plan.foreignKeys.map((fk) => fk.original);
  progress.postDataPending = plan.rest.length + [...plan.perTable.values()].reduce((sum, list) => sum + list.length, 0);

  const tasks: Task[] = [];
  /** The task after which a table is complete: its rows in, its own indexes and keys built. */
  const loadName = (key: string) => `load ${key}`;
  for (const [key, parts] of partsOf) {
    const label = parts.length === 1 ? parts[0]!.label : `${parts[0]!.schema}.${parts[0]!.table}`;
    tasks.push({
      name: loadName(key),
      deps: [],
      weight: bytesOf.get(key)!,
      run: async (client) => {
        // A table dumped in key ranges loads its parts one after the other in one transaction, so all of
        // them are written frozen: loading them at once would leave hint bits for the index builds to set
        // (measured at scale 4: 70 s against 55 s frozen); the other connections load other tables.
        const rows = await loadTableFrozen(client, parts, readPart).catch((error: unknown) => {
          throw withContext(`restoring ${label}`, error);
        });
        progress.rows += rows; // not `+= await`: that would read the total before other connections add theirs
        progress.tablesLoaded += 1;
        for (const sql of plan.perTable.get(key) ?? []) {
          await query(client, sql, `${label} (post-data)`);
          progress.postDataPending -= 1;
        }
      },
    });
  }
  const largeObjectTasks: string[] = [];
  for (const [index, part] of manifest.parts.filter((p) => p.kind === 'large-objects').entries()) {
    // Large objects depend on no table and no table on them: loaded beside the tables, in one transaction.
    // Only post-data waits for them (a script's GRANT … ON LARGE OBJECT is there).
    largeObjectTasks.push(`large objects ${index}`);
    tasks.push({
      name: `large objects ${index}`,
      deps: [],
      weight: part.rawBytes,
      run: async (client) => {
        try {
          await client.query('BEGIN');
          await restoreLargeObjects(client, part, readPart(part), options);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw withContext(`restoring ${part.label}`, error);
        }
      },
    });
  }
  const allLoads = [...loaded].map(loadName);
  tasks.push({
    name: 'data scripts',
    deps: allLoads,
    weight: 0,
    run: async (client) => {
      for (const part of dataScripts) await executeScript(client, readPart(part), part.label);
    },
  });
  tasks.push({
    name: 'post-data',
    deps: [...allLoads, 'data scripts', ...largeObjectTasks],
    weight: 0,
    run: async (client) => {
      for (const sql of plan.rest) {
        await query(client, sql, 'schema (post-data)');
        progress.postDataPending -= 1;
      }
    },
  });
  let addingKey: Promise<void> = Promise.resolve();
  /**
   * Tables a VALIDATE CONSTRAINT is running on. It holds SHARE UPDATE EXCLUSIVE there, which an ADD on the
   * table and another validation of it would wait for: they hold off instead, and their lane works on.
   */
  const validating = new Set<string>();
  const done = (fk: (typeof plan.foreignKeys)[number]) => {
    progress.foreignKeysPending = progress.foreignKeysPending.filter((sql) => sql !== fk.original);
  };
  for (const [index, fk] of plan.foreignKeys.entries()) {
    const onLoaded = fk.addNotValid && fk.validate && fk.referenced && loaded.has(fk.referenced);
    if (!onLoaded) {
      tasks.push({
        name: `foreign key ${index}`,
        deps: [...allLoads, 'post-data'],
        weight: 0,
        run: async (client) => {
          await query(client, fk.original, 'schema (post-data)');
          done(fk);
        },
      });
      continue;
    }
    const child = fk.table;
    const parent = fk.referenced!;
    tasks.push({
      name: `add foreign key ${index}`,
      deps: [loadName(child), loadName(parent)],
      weight: Number.MAX_SAFE_INTEGER,
      holdOff: () => validating.has(child) || validating.has(parent),
      run: async (client) => {
        // One ADD at a time over all connections: each locks two tables, and two could deadlock.
        const previous = addingKey;
        let release!: () => void;
        addingKey = new Promise((resolve) => (release = resolve));
        await previous;
        try {
          await query(client, fk.addNotValid!, 'schema (post-data)');
        } finally {
          release();
        }
      },
    });
    tasks.push({
      name: `validate foreign key ${index}`,
      deps: [`add foreign key ${index}`],
      weight: bytesOf.get(child) ?? 0,
      holdOff: () => validating.has(child),
      run: async (client) => {
        validating.add(child);
        try {
          // Planned as a merge join of index-only scans where that pays (foreign-key-check.ts, decision 0036).
          await validateForeignKey(client, fk, { inTransaction: false, add: false }).catch((error: unknown) => {
            throw new ReplibyteError(`schema (post-data): ${(error as Error).message}: ${fk.validate!.slice(0, 160)}`);
          });
        } finally {
          validating.delete(child);
        }
        done(fk);
      },
    });
  }

  const clients = progress.clients;
  // Ctrl-C: the running statements are cancelled (a table's load rolls back), no new step starts.
  const stop = () => void cancelRunningQueries(uri, clients);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (let lane = 0; lane < Math.max(1, jobs); lane += 1) {
      const client = await connectPostgres(uri, 'destination');
      clients.push(client);
      if (plan.settings.length > 0) await client.query(plan.settings.join(';\n') + ';');
    }
    await runGraph(tasks, clients, signal);
  } finally {
    signal?.removeEventListener('abort', stop);
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

/**
 * Each connection takes the heaviest task whose dependencies are done (and that does not hold off); the
 * first failure stops new work.
 */
async function runGraph(tasks: Task[], clients: pg.Client[], stopSignal?: AbortSignal): Promise<void> {
  const pending = [...tasks].sort((a, b) => b.weight - a.weight);
  const done = new Set<string>();
  let failure: unknown;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    const previous = wake;
    changed = new Promise<void>((resolve) => (wake = resolve));
    previous();
  };
  let running = 0;
  const interrupted = () => {
    failure ??= new ReplibyteError(`restore ${stopSignal?.reason instanceof Error ? stopSignal.reason.message : 'interrupted'}`);
    signal();
  };
  if (stopSignal?.aborted) interrupted();
  stopSignal?.addEventListener('abort', interrupted, { once: true });
  const lane = async (client: pg.Client) => {
    for (;;) {
      if (failure !== undefined || pending.length === 0) return;
      const at = pending.findIndex((task) => task.deps.every((dep) => done.has(dep)) && !task.holdOff?.());
      if (at === -1) {
        if (running === 0) return; // nothing can ever become ready: reported below
        await changed;
        continue;
      }
      const [task] = pending.splice(at, 1);
      running += 1;
      try {
        await task!.run(client);
        done.add(task!.name);
      } catch (error) {
        failure ??= error;
      } finally {
        running -= 1;
        signal();
      }
    }
  };
  await Promise.all(clients.map(lane)).finally(() => stopSignal?.removeEventListener('abort', interrupted));
  if (failure !== undefined) throw failure;
  if (pending.length > 0) throw new ReplibyteError(`internal error: ${pending.length} restore step(s) could never start`);
}

async function query(client: pg.Client, sql: string, where: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    throw new ReplibyteError(`${where}: ${(error as Error).message}: ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}

/**
 * A table's rows (all its data parts) in a transaction of their own, written already frozen when the
 * table allows it (emptyForFreeze).
 */
async function loadTableFrozen(client: pg.Client, parts: readonly ManifestPart[], readPart: PartReader): Promise<number> {
  await client.query('BEGIN');
  try {
    const freeze = await emptyForFreeze(client, qualifiedName(parts[0]!.schema!, parts[0]!.table!));
    let loaded = 0;
    for (const part of parts) loaded += await loadTable(client, part, readPart, undefined, freeze);
    await client.query('COMMIT');
    return loaded;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Readies a table for `COPY … FREEZE` inside the caller's transaction, and says whether it did. Rows
 * written frozen spare PostgreSQL setting hint bits on every page later, which the index builds and the
 * foreign-key validations that follow would otherwise do (reading the commit log for every row and
 * writing every page again). FREEZE needs the table created or emptied in the same (sub)transaction,
 * so the table is truncated first, but only when that changes nothing: it is empty, a plain table (not
 * partitioned, not foreign), and no foreign key points at it yet (one from a hand-written script's
 * CREATE TABLE would make TRUNCATE fail), no ON TRUNCATE trigger would fire, and the role may truncate it
 * (a restore into tables that already exist). Call it before the table's first COPY only: a second call
 * would truncate the rows of the first.
 */
export async function emptyForFreeze(client: pg.ClientBase, target: string): Promise<boolean> {
  const { rows } = await client.query<{ candidate: boolean }>(
    `SELECT c.relkind = 'r' AND has_table_privilege(c.oid, 'TRUNCATE')
       AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = c.oid AND contype = 'f')
       AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgtype & 32 <> 0) AS candidate
     FROM pg_class c WHERE c.oid = $1::regclass`,
    [target],
  );
  if (rows[0]?.candidate !== true) return false;
  // Locked before it is found empty: another load of the same table would wait here for this one to
  // commit, then see its rows, instead of truncating them.
  await client.query(`LOCK TABLE ONLY ${target} IN ACCESS EXCLUSIVE MODE`);
  const found = await client.query(`SELECT 1 FROM ONLY ${target} LIMIT 1`);
  if (found.rowCount !== 0) return false;
  await client.query(`TRUNCATE ONLY ${target}`);
  return true;
}

export async function loadTable(client: pg.ClientBase, part: ManifestPart, readPart: PartReader, reporter?: Reporter, freeze = false): Promise<number> {
  const columns = (part.columns ?? []).map(quoteIdentifier).join(', ');
  const target = qualifiedName(part.schema!, part.table!);
  const copy = client.query(copyFrom(`COPY ${target} (${columns}) FROM STDIN${freeze ? ' WITH (FREEZE)' : ''}`));
  reporter?.progress?.({ type: 'table-start', table: part.label, estimatedRows: part.rows ?? 0, estimatedBytes: part.rawBytes });
  await pipeline(Readable.from(counted(readPart(part), part.label, reporter)), copy);
  reporter?.progress?.({ type: 'table-end', table: part.label, rows: copy.rowCount, bytes: part.rawBytes });
  const loaded = copy.rowCount;
  if (loaded !== part.rows) {
    throw new ReplibyteError(`${part.label}: loaded ${loaded} rows, the manifest says ${part.rows}`);
  }
  return loaded;
}

/** Passes a part's bytes through, telling the reporter how many rows and bytes went by. */
async function* counted(data: AsyncIterable<Buffer>, table: string, reporter: Reporter | undefined): AsyncGenerator<Buffer> {
  if (!reporter?.progress) {
    yield* data;
    return;
  }
  let rows = 0;
  let bytes = 0;
  for await (const piece of data) {
    rows += countNewlines(piece);
    bytes += piece.length;
    reporter.progress({ type: 'table-progress', table, rows, bytes });
    yield piece;
  }
}
