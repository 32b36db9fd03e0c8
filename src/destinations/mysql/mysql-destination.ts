import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Manifest, ManifestPart } from '../../dump/manifest.js';
import { SESSION_END, SESSION_START } from '../../encode/mysql/session.js';
import { splitMysqlScript } from '../../encode/mysql/statement-splitter.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { serverIdentity } from '../../engines/mysql/catalog.js';
import { connectMysql, explainLostMysql } from '../../engines/mysql/connection.js';
import { redactUri } from '../../engines/postgres/connection.js';
import { NO_HOOKS, type PartReader, type RestoreHooks, type RestoreSummary, type RestoreTarget } from '../destination.js';
import { runMysqlHooks } from './restore-hooks.js';
import { isLiveLayout, LiveRestoreProgress, restoreLive, statementFailure } from './live-restore.js';
import { emptyMysqlTables, planMysqlEmptying, type MysqlEmptying } from './data-only.js';
import { dumpTablesWithRows, scriptSourceRefusal, scriptSourceSuspect } from '../script-source-guard.js';

import { MYSQL_ENGINES, quoteMysqlIdentifier, rawSql } from '../../engines/mysql/identifiers.js';

export interface MysqlDestinationOptions {
  uri: string;
  /** Empty the destination database first (the default, as in the original). */
  wipe: boolean;
  /** Skip the same-name check of a script dump (`--confirm-not-source`). */
  confirmNotSource?: boolean;
  /** `destination.before_restore` / `after_restore`, run in the restore's session. */
  hooks?: RestoreHooks;
  /** --data-only: no wipe; the dump's tables are emptied, then loaded (`cascade`: see emptyMysqlTables). */
  dataOnly?: { cascade: boolean };
  /** Connections loading the tables of a live dump at once (default DEFAULT_MYSQL_RESTORE_JOBS); a script dump always uses one. */
  jobs?: number;
}

/**
 * Connections a MySQL restore loads tables over when --jobs is not given: a MySQL restore is not one
 * transaction whatever the count, so the default is the fastest measured (docs/decisions/0035).
 */
export const DEFAULT_MYSQL_RESTORE_JOBS = 2;

/**
 * Restores a MySQL/MariaDB dump through the driver, statement by statement, in the session mysqldump's
 * header sets (no foreign-key checks while tables load). MySQL commits every DDL statement at once, so
 * unlike the PostgreSQL restore this one is not all-or-nothing: a failure says where it stopped. A live
 * dump loads its tables over several connections, indexes and foreign keys after the rows (live-restore.ts);
 * a script dump runs in the order of its script, on one connection.
 */
export class MysqlDestination implements RestoreTarget {
  constructor(private readonly options: MysqlDestinationOptions) {}

  /** Commits as it goes (no transaction over DDL): the restore checks every chunk before calling it. */
  readonly atomic = false;

  async restore(manifest: Manifest, readPart: PartReader, reporter: Reporter, signal?: AbortSignal): Promise<RestoreSummary> {
    const where = `destination ${redactUri(this.options.uri)}`;
    if (!MYSQL_ENGINES.has(manifest.engine.kind)) {
      throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database; it cannot be restored into the MySQL ${where}`, 'restore it into a database of the same engine');
    }
    const connection = await connectMysql(this.options.uri, 'destination', { binaryQueries: true });
    let emptying: MysqlEmptying | undefined;
    try {
      await this.refuseSourceItself(connection, manifest, where);
      await refuseScriptSource(connection, manifest, where, this.options.confirmNotSource ?? false);
      if (this.options.dataOnly) emptying = await planMysqlEmptying(connection, manifest.parts, this.options.dataOnly.cascade, where);
    } catch (error) {
      await connection.end().catch(() => connection.destroy());
      const wrapped = withContext('restore refused', error);
      throw new ReplibyteError(`${wrapped.message}\nnothing was changed in ${where}`, wrapped.hint);
    }
    let current = 'the session setup';
    const live = isLiveLayout(manifest) ? new LiveRestoreProgress() : undefined;
    try {
      for (const statement of SESSION_START) await connection.query(statement);
      if (emptying) await emptyMysqlTables(connection, emptying, reporter);
      else if (this.options.wipe) await this.wipe(connection, reporter);
      const hooks = this.options.hooks ?? NO_HOOKS;
      current = 'the before_restore hooks';
      await runMysqlHooks(connection, hooks.before);
      let rows = 0;
      let tables = 0;
      if (live) {
        current = 'the dump';
        const jobs = this.options.jobs ?? DEFAULT_MYSQL_RESTORE_JOBS;
        await restoreLive(connection, manifest, readPart, { uri: this.options.uri, jobs, reporter, ...(signal && { signal }) }, live);
        tables = live.tablesTotal;
        rows = live.rows;
      } else {
        for (const part of manifest.parts) {
          if (signal?.aborted) throw new ReplibyteError('restore interrupted');
          current = part.label;
          const loaded = await this.runPart(connection, part, readPart);
          if (part.kind === 'table-data') {
            if (loaded !== undefined && loaded !== part.rows) {
              throw new ReplibyteError(`${part.label}: loaded ${loaded} rows, the manifest says ${part.rows}`);
            }
            rows += part.rows ?? 0;
            tables += 1;
          }
        }
      }
      for (const statement of SESSION_END) await connection.query(statement);
      // After the session is back to normal: the hooks' own writes are checked like any application's.
      current = 'the after_restore hooks';
      await runMysqlHooks(connection, hooks.after);
      return { tables, rows, outcome: `restored ${tables} tables and ${rows} rows into ${where}` };
    } catch (error) {
      const wrapped = withContext(`restore failed while restoring ${current}`, explainLostMysql(error, 'destination', this.options.uri, connection));
      const left = live && current === 'the dump' ? live.describe(where) : `${where} may hold a partial restore (MySQL commits DDL at once)`;
      throw new ReplibyteError(`${wrapped.message}\n${left}; run the restore again with wipe_database: true`, wrapped.hint);
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  }

  /** Runs a part's statements; returns the rows INSERT statements added (undefined if some were not plain INSERTs). */
  private async runPart(connection: Connection, part: ManifestPart, readPart: PartReader): Promise<number | undefined> {
    let inserted: number | undefined = 0;
    for await (const statement of splitMysqlScript(readPart(part), part.label)) {
      if (statement.kind !== 'statement') continue;
      let result: ResultSetHeader;
      try {
        [result] = (await connection.query(rawSql(statement.text))) as unknown as [ResultSetHeader];
      } catch (error) {
        throw statementFailure(error, statement.line, statement.text);
      }
      if (part.kind === 'table-data' && inserted !== undefined) {
        if (/^\s*INSERT\s+INTO\b/i.test(statement.text.toString('latin1', 0, 32))) inserted += result.affectedRows ?? 0;
        else inserted = undefined;
      }
    }
    return inserted;
  }

  private async refuseSourceItself(connection: Connection, manifest: Manifest, where: string): Promise<void> {
    if (!manifest.source.systemIdentifier || !manifest.source.database) return;
    const identity = await serverIdentity(connection);
    if (identity.systemIdentifier === manifest.source.systemIdentifier && identity.database === manifest.source.database) {
      throw new ReplibyteError(`refusing to restore into ${where}: it is the database dump ${manifest.name} was taken from`);
    }
  }

  /**
   * wipe_database: empties the destination database, as DROP SCHEMA … CASCADE does on PostgreSQL:
   * every view, table, procedure, function and event in it is dropped. The database itself, and the
   * grants on it, stay.
   */
  private async wipe(connection: Connection, reporter: Reporter): Promise<void> {
    const [objects] = await connection.query<RowDataPacket[]>(
      `SELECT 'VIEW' AS kind, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'VIEW'
       UNION ALL SELECT 'TABLE', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE <> 'VIEW'
       UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')
       UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()`,
    );
    const counts = new Map<string, number>();
    for (const object of objects) {
      const kind = object.kind as string;
      await connection.query(rawSql(`DROP ${kind} IF EXISTS ${quoteMysqlIdentifier(object.name as string)}`));
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const [db] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS db');
    const summary = [...counts].map(([kind, n]) => `${n} ${kind.toLowerCase()}${n === 1 ? '' : 's'}`).join(', ') || 'it was empty';
    reporter.info(`wipe: emptied database ${db[0]!.db as string} (${summary})`);
  }
}

/** docs/mysql.md (Restore): a script dump is not restored over a same-name database that holds its rows. */
async function refuseScriptSource(connection: Connection, manifest: Manifest, where: string, confirmNotSource: boolean): Promise<void> {
  const [[current]] = (await connection.query('SELECT DATABASE() AS db')) as unknown as [[{ db: Buffer | string }]];
  const database = Buffer.isBuffer(current.db) ? current.db.toString('utf8') : String(current.db);
  if (!scriptSourceSuspect(manifest, database, confirmNotSource)) return;
  const filled: string[] = [];
  for (const { table } of dumpTablesWithRows(manifest)) {
    const [found] = (await connection.query(rawSql(`SELECT 1 AS found FROM ${quoteMysqlIdentifier(table)} LIMIT 1`)).catch((error: { code?: string }) => {
      if (error.code === 'ER_NO_SUCH_TABLE') return [[]];
      throw error;
    })) as unknown as [unknown[]];
    if (found.length > 0) filled.push(table);
  }
  if (filled.length > 0) throw scriptSourceRefusal(manifest, where, filled);
}
