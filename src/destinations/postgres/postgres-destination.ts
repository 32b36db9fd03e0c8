import type pg from 'pg';
import { tablesWithData, type Manifest, type ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { qualifiedName, quoteIdentifier } from '../../engines/postgres/catalog.js';
import { cancelRunningQueries, connectPostgres, explainLostClients, redactUri } from '../../engines/postgres/connection.js';
import { NO_HOOKS, type PartReader, type RestoreHooks, type RestoreSummary, type RestoreTarget } from '../destination.js';
import { dumpTablesWithRows, scriptSourceRefusal, scriptSourceSuspect } from '../script-source-guard.js';
import { emptyForFreeze, loadTable, restoreInParallel, type ParallelProgress } from './parallel-restore.js';
import { restoreLargeObjects } from './large-object-restore.js';
import { executeScript, type ScriptOptions } from './script-executor.js';
import { bareStatement, foreignKeyStatement, relationKey } from './post-data-plan.js';
import { validateForeignKey } from './foreign-key-check.js';
import { runPostgresHooks } from './restore-hooks.js';
import { prepareDataOnly } from './data-only.js';

export interface PostgresDestinationOptions {
  uri: string;
  /** Drop what the dump is about to create first (the default, as in the original). */
  wipe: boolean;
  /**
   * Connections loading at once. 1 (the default) restores in one transaction; more restores the data
   * and post-data in parallel, not atomically (docs/decisions/0005-parallel-restore.md).
   */
  jobs?: number;
  /** Skip the same-name check of a script dump (`--confirm-not-source`). */
  confirmNotSource?: boolean;
  /** `destination.before_restore` / `after_restore`: in the restore's transaction with --jobs 1. */
  hooks?: RestoreHooks;
  /**
   * --data-only: no wipe; the dump's tables are emptied and loaded in the restore's transaction
   * (`cascade`: tables outside the restore that reference them are emptied too, not refused).
   */
  dataOnly?: { cascade: boolean };
}

/**
 * Restores a PostgreSQL dump in one transaction: the wipe, the schema, the rows and the constraints
 * either all land or none does. pg_restore's order: pre-data, rows, post-data (indexes, constraints,
 * triggers), so that constraints are checked against the loaded data.
 */
export class PostgresDestination implements RestoreTarget {
  constructor(private readonly options: PostgresDestinationOptions) {}

  get atomic(): boolean {
    return (this.options.jobs ?? 1) <= 1;
  }

  async restore(manifest: Manifest, readPart: PartReader, reporter: Reporter, signal?: AbortSignal): Promise<RestoreSummary> {
    if (manifest.engine.kind !== 'postgresql') {
      throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database; it cannot be restored into PostgreSQL`);
    }
    const where = `destination ${redactUri(this.options.uri)}`;
    if ((this.options.jobs ?? 1) > 1) {
      if (this.options.dataOnly) throw new ReplibyteError('--data-only restores PostgreSQL in one transaction: use --jobs 1; nothing was changed');
      return this.restoreParallel(manifest, readPart, reporter, where, signal);
    }
    const client = await connectPostgres(this.options.uri, 'destination');
    const stop = () => void cancelRunningQueries(this.options.uri, [client]);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      throwIfInterrupted(signal);
      await this.refuseSourceItself(client, manifest, where);
      await refuseScriptSource(client, manifest, where, this.options.confirmNotSource ?? false);
      await client.query('BEGIN');
      const started = Date.now();
      const dataParts = manifest.parts.filter((part) => part.kind === 'table-data');
      reporter.progress?.({
        type: 'start',
        operation: 'restore',
        tables: tablesWithData(dataParts),
        estimatedRows: manifest.totals.rows,
        estimatedBytes: dataParts.reduce((sum, part) => sum + part.rawBytes, 0),
      });
      const dataOnly = this.options.dataOnly && (await prepareDataOnly(client, manifest.parts, this.options.dataOnly.cascade, where, reporter));
      if (this.options.wipe && !dataOnly) await this.wipe(client, manifest, reporter);
      await runPostgresHooks(client, this.hooks.before);
      let rows = 0;
      const tables = tablesWithData(dataParts);
      // The tables were created in this transaction: their rows can be written frozen (emptyForFreeze),
      // decided at a table's first part (a table dumped in key ranges has several). --data-only loads
      // into tables that were there before: as they are.
      const frozen = new Map<string, boolean>();
      const parts = dataOnly ? [...dataOnly.parts, ...manifest.parts.filter((part) => part.kind !== 'table-data')] : manifest.parts;
      const postData = dataOnly ? {} : { takeOver: checkForeignKeysByMergeWherePaying(dataParts) };
      for (const part of parts) {
        try {
          throwIfInterrupted(signal);
          if (part.kind === 'sql') await executeScript(client, readPart(part), part.label, part.section === 'post-data' ? postData : {});
          else if (part.kind === 'large-objects') await restoreLargeObjects(client, part, readPart(part), { wipe: this.options.wipe || Boolean(dataOnly), reporter });
          else {
            const target = qualifiedName(part.schema!, part.table!);
            let freeze = frozen.get(target);
            if (freeze === undefined) frozen.set(target, (freeze = !dataOnly && (await emptyForFreeze(client, target))));
            rows += await loadTable(client, part, readPart, reporter, freeze);
          }
        } catch (error) {
          throw withContext(`restoring ${part.label}`, error);
        }
      }
      for (const sql of dataOnly ? dataOnly.after : []) await client.query(sql);
      throwIfInterrupted(signal);
      await runPostgresHooks(client, this.hooks.after);
      throwIfInterrupted(signal);
      await client.query('COMMIT');
      reporter.progress?.({
        type: 'end',
        operation: 'restore',
        tables,
        rows,
        bytesIn: manifest.totals.storedBytes,
        bytesOut: dataParts.reduce((sum, part) => sum + part.rawBytes, 0),
        seconds: (Date.now() - started) / 1000,
      });
      return { tables, rows, outcome: `restored ${tables} tables and ${rows} rows into ${where}` };
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      const left = rolledBack
        ? `nothing was changed in ${where} (the restore ran in one transaction, rolled back)`
        : `the connection to ${where} was lost; the server rolls back the unfinished transaction, so nothing should have changed`;
      const wrapped = whyRestoreStopped(error, signal, this.options.uri, [client]);
      throw new ReplibyteError(`${wrapped.message}\n${left}`, wrapped.hint);
    } finally {
      signal?.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
    }
  }

  /**
   * The wipe and pre-data in one transaction (all or nothing, as with --jobs 1), then data and
   * post-data over several connections. A failure after the pre-data commit leaves a partial restore:
   * the message says exactly what is there.
   */
  private async restoreParallel(manifest: Manifest, readPart: PartReader, reporter: Reporter, where: string, signal: AbortSignal | undefined): Promise<RestoreSummary> {
    const jobs = this.options.jobs!;
    const client = await connectPostgres(this.options.uri, 'destination');
    const stop = () => void cancelRunningQueries(this.options.uri, [client]);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      throwIfInterrupted(signal);
      await this.refuseSourceItself(client, manifest, where);
      await refuseScriptSource(client, manifest, where, this.options.confirmNotSource ?? false);
      await client.query('BEGIN');
      if (this.options.wipe) await this.wipe(client, manifest, reporter);
      await runPostgresHooks(client, this.hooks.before);
      for (const part of manifest.parts) {
        if (part.kind === 'sql' && part.section === 'pre-data') {
          await executeScript(client, readPart(part), part.label).catch((error: unknown) => {
            throw withContext(`restoring ${part.label}`, error);
          });
        }
      }
      throwIfInterrupted(signal);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const wrapped = whyRestoreStopped(error, signal, this.options.uri, [client]);
      throw new ReplibyteError(`${wrapped.message}\nnothing was changed in ${where} (the wipe and the schema ran in one transaction, rolled back)`, wrapped.hint);
    } finally {
      signal?.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
    }
    const progress: ParallelProgress = { tablesLoaded: 0, tablesTotal: 0, rows: 0, foreignKeysPending: [], postDataPending: 0, clients: [] };
    reporter.info(`schema restored; loading rows over ${jobs} connections`);
    try {
      await restoreInParallel(this.options.uri, manifest, readPart, jobs, progress, { wipe: this.options.wipe, reporter }, signal);
    } catch (error) {
      const wrapped = whyRestoreStopped(error, signal, this.options.uri, progress.clients);
      const left =
        `${where} is partly restored (--jobs ${jobs} does not run in one transaction): the schema is in place, ` +
        `${progress.tablesLoaded} of ${progress.tablesTotal} tables hold their rows (${progress.rows} rows), ` +
        `${progress.postDataPending} post-data statement(s) did not run (indexes, constraints, triggers, partition indexes, materialized view contents), ` +
        `${progress.foreignKeysPending.length} foreign key(s) are missing or NOT VALID. ` +
        'Run the restore again (it wipes first), or with --jobs 1 to restore all or nothing';
      throw new ReplibyteError(`${wrapped.message}\n${left}`, wrapped.hint);
    }
    await this.runAfterHooksAlone(where, signal);
    return { tables: progress.tablesTotal, rows: progress.rows, outcome: `restored ${progress.tablesTotal} tables and ${progress.rows} rows into ${where} over ${jobs} connections` };
  }

  private get hooks(): RestoreHooks {
    return this.options.hooks ?? NO_HOOKS;
  }

  /** --jobs N: the after_restore hooks in a transaction of their own, once everything else is committed. */
  private async runAfterHooksAlone(where: string, signal: AbortSignal | undefined): Promise<void> {
    if (this.hooks.after.length === 0) return;
    const client = await connectPostgres(this.options.uri, 'destination');
    const stop = () => void cancelRunningQueries(this.options.uri, [client]);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      throwIfInterrupted(signal);
      await client.query('BEGIN');
      await runPostgresHooks(client, this.hooks.after);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const wrapped = whyRestoreStopped(error, signal, this.options.uri, [client]);
      throw new ReplibyteError(
        `${wrapped.message}\nthe dump is restored in ${where}, but none of the after_restore hooks is (they ran in one transaction, rolled back)`,
        wrapped.hint,
      );
    } finally {
      signal?.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
    }
  }

  private async refuseSourceItself(client: pg.Client, manifest: Manifest, where: string): Promise<void> {
    if (!manifest.source.systemIdentifier || !manifest.source.database) return;
    const identity = await client
      .query<{ id: string; db: string }>('SELECT system_identifier::text AS id, current_database() AS db FROM pg_control_system()')
      .then((result) => result.rows[0])
      .catch(() => undefined);
    if (identity && identity.id === manifest.source.systemIdentifier && identity.db === manifest.source.database) {
      throw new ReplibyteError(`refusing to restore into ${where}: it is the database dump ${manifest.name} was taken from`);
    }
  }

  private async wipe(client: pg.Client, manifest: Manifest, reporter: Reporter): Promise<void> {
    const schemas = manifest.schemas.length > 0 ? manifest.schemas : ['public'];
    const { rows } = await client.query<{ schema: string; relations: string; routines: string }>(
      `SELECT n.nspname AS schema,
         (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f'))::text AS relations,
         (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)::text AS routines
       FROM pg_namespace n WHERE n.nspname = ANY($1) ORDER BY 1`,
      [schemas],
    );
    for (const row of rows) {
      await client.query(`DROP SCHEMA ${quoteIdentifier(row.schema)} CASCADE`);
      reporter.info(`wipe: dropped schema ${row.schema} (${row.relations} tables and views, ${row.routines} functions)`);
    }
    if (schemas.includes('public')) await recreatePublicSchema(client);
  }

}

/**
 * pg_dump writes no CREATE SCHEMA for `public` (every database has one) and, where they are the defaults,
 * none of its owner, privileges and comment: only what differs from them (ALTER SCHEMA … OWNER, GRANT,
 * COMMENT). So after the wipe dropped it, `public` comes back exactly as a new database has it, and the
 * dump's own statements then make it the source's. A plain CREATE SCHEMA would leave it owned by the
 * restoring role with no USAGE for PUBLIC: the other roles of a dev database could not use it.
 */
async function recreatePublicSchema(client: pg.Client): Promise<void> {
  const { rows: [current] } = await client.query<{ exists: boolean; pg15: boolean; canOwn: boolean; bootstrap: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') AS exists,
       current_setting('server_version_num')::int >= 150000 AS pg15,
       (SELECT rolname FROM pg_roles WHERE oid = 10) AS bootstrap,
       CASE WHEN current_setting('server_version_num')::int >= 150000
         THEN pg_has_role('pg_database_owner', 'MEMBER') ELSE pg_has_role(10, 'MEMBER') END AS "canOwn"`,
  );
  if (current!.exists) return;
  // PostgreSQL 15: owned by pg_database_owner, USAGE for PUBLIC; before 15: the bootstrap superuser's, ALL for PUBLIC.
  const owner = current!.pg15 ? 'pg_database_owner' : quoteIdentifier(current!.bootstrap);
  await client.query(`CREATE SCHEMA public${current!.canOwn ? ` AUTHORIZATION ${owner}` : ''}`);
  await client.query(`GRANT ${current!.pg15 ? 'USAGE' : 'ALL'} ON SCHEMA public TO PUBLIC`);
  await client.query("COMMENT ON SCHEMA public IS 'standard public schema'");
}

/**
 * docs/format.md (source): a script dump is not restored over a same-name database that holds its rows.
 * The tables are the dump's COPY parts; a script of INSERTs names none, so its schemas' tables are looked at.
 */
async function refuseScriptSource(client: pg.Client, manifest: Manifest, where: string, confirmNotSource: boolean): Promise<void> {
  const { rows: [current] } = await client.query<{ db: string }>('SELECT current_database() AS db');
  if (!scriptSourceSuspect(manifest, current!.db, confirmNotSource)) return;
  let tables = dumpTablesWithRows(manifest).map(({ schema, table }) => qualifiedName(schema ?? 'public', table));
  if (tables.length === 0) {
    const { rows } = await client.query<{ name: string }>(
      "SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') LIMIT 200",
      [manifest.schemas.length > 0 ? manifest.schemas : ['public']],
    );
    tables = rows.map((row) => row.name);
  }
  const filled: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ filled: boolean }>('SELECT to_regclass($1) IS NOT NULL AS filled', [table]);
    if (!rows[0]!.filled) continue;
    const { rowCount } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if ((rowCount ?? 0) > 0) filled.push(table);
  }
  if (filled.length > 0) throw scriptSourceRefusal(manifest, where, filled);
}

/**
 * The one-transaction restore runs post-data in the dump's order; each foreign key on a table it loaded
 * is added NOT VALID and validated at once, so that its check can be planned as a merge join of two
 * index-only scans where that pays (foreign-key-check.ts, decision 0036). Same transaction, same result.
 */
function checkForeignKeysByMergeWherePaying(dataParts: ManifestPart[]): ScriptOptions['takeOver'] {
  const loaded = new Set(dataParts.map((part) => relationKey(part.schema!, part.table!)));
  return (sql) => {
    const fk = foreignKeyStatement(bareStatement(sql), loaded);
    if (!fk?.addNotValid) return undefined;
    return (client) => validateForeignKey(client, fk, { inTransaction: true, add: true });
  };
}

/** Stops a restore at its next step once it was interrupted (a statement already running is cancelled). */
function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReplibyteError(interruptedMessage(signal));
}

function interruptedMessage(signal: AbortSignal): string {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'interrupted';
  return `restore ${reason}`;
}

/** The first line of a failed restore: interrupted, a lost connection (naming the server), or the error. */
function whyRestoreStopped(error: unknown, signal: AbortSignal | undefined, uri: string, clients: pg.Client[]): ReplibyteError {
  if (signal?.aborted) return new ReplibyteError(interruptedMessage(signal));
  const lost = explainLostClients(error, 'destination', uri, clients);
  return lost === error ? withContext('restore failed', error) : withContext('restore failed', lost);
}
