import type { Connection, ResultSetHeader } from 'mysql2/promise';
import type { Manifest, ManifestPart } from '../../dump/manifest.js';
import { liveInsertStatements, type InsertStatement } from '../../encode/mysql/insert-statements.js';
import { SESSION_START } from '../../encode/mysql/session.js';
import { splitMysqlScript } from '../../encode/mysql/statement-splitter.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { connectMysql, explainLostMysql } from '../../engines/mysql/connection.js';
import { rawSql } from '../../engines/mysql/identifiers.js';
import type { Reporter } from '../../reporting/reporter.js';
import type { PartReader } from '../destination.js';
import { deferKeys, type DeferredKeys } from './deferred-keys.js';

/**
 * What a restore of a live dump got done, for the message when it fails part way (MySQL commits as it
 * goes: the error says what the destination holds).
 */
export class LiveRestoreProgress {
  tablesTotal = 0;
  /** Tables whose rows are all in. */
  readonly loaded = new Set<string>();
  rows = 0;
  /** Tables whose secondary indexes were taken out of CREATE TABLE and are not built yet. */
  readonly indexesPending = new Set<string>();
  /** Tables whose foreign keys were taken out of CREATE TABLE and are not added yet. */
  readonly foreignKeysPending = new Set<string>();
  postDataDone = false;
  /** The schema part ran: without it nothing of the above started. */
  schemaDone = false;

  describe(where: string): string {
    if (!this.schemaDone) return `${where} may hold part of the schema (MySQL commits DDL at once)`;
    const parts = [`${this.loaded.size} of ${this.tablesTotal} tables hold all their rows (${this.rows} rows)`];
    if (this.indexesPending.size > 0) parts.push(`secondary indexes not built on ${[...this.indexesPending].join(', ')}`);
    if (this.foreignKeysPending.size > 0) parts.push(`foreign keys not added on ${[...this.foreignKeysPending].join(', ')}`);
    if (!this.postDataDone) parts.push('the post-data (routines, triggers, views, events) did not run');
    return `${where} holds a partial restore (MySQL commits as it goes): ${parts.join('; ')}`;
  }
}

/**
 * A live dump (replibyte's own: schema, then one INSERT part per table, then routines, triggers, views and
 * events) can be restored out of order, which a script dump (whose statements interleave, LOCK TABLES
 * included) cannot.
 */
export function isLiveLayout(manifest: Manifest): boolean {
  if (manifest.source.kind !== 'live') return false;
  let seen: 'pre' | 'data' | 'post' = 'pre';
  for (const part of manifest.parts) {
    if (part.kind === 'table-data') {
      if (seen === 'post') return false;
      seen = 'data';
    } else if (part.kind === 'sql') {
      if (part.section === 'data') return false;
      if (part.section === 'pre-data' && seen !== 'pre') return false;
      if (part.section === 'post-data') seen = 'post';
    } else return false;
  }
  return true;
}

export interface LiveRestoreOptions {
  uri: string;
  /** Connections loading tables at once, `main` included. */
  jobs: number;
  reporter: Reporter;
  signal?: AbortSignal;
}

/**
 * Restores a live dump on `main` (whose session is set up, the wipe and the before hooks done) and
 * `jobs - 1` more connections: the schema, each table's CREATE TABLE without its secondary indexes and
 * foreign keys (deferred-keys.ts); then every table's rows, largest first, each table on one connection
 * and followed there by the ALTER TABLE that builds its indexes, while other connections load other
 * tables; then the foreign keys; then the post-data on `main`. A table's statements are read ahead: the
 * next one is cut and decompressed while the server runs the current one. The first failure stops every
 * connection at its next statement (docs/decisions/0035-mysql-restore-over-several-connections.md).
 */
export async function restoreLive(main: Connection, manifest: Manifest, readPart: PartReader, options: LiveRestoreOptions, progress: LiveRestoreProgress): Promise<void> {
  const tableParts = manifest.parts.filter((part) => part.kind === 'table-data');
  const withRows = new Map<string, ManifestPart[]>();
  for (const part of tableParts) withRows.set(part.table!, [...(withRows.get(part.table!) ?? []), part]);
  progress.tablesTotal = withRows.size;
  const deferred = new Map<string, DeferredKeys>();
  for (const part of manifest.parts.filter((p) => p.kind === 'sql' && p.section === 'pre-data')) {
    await runScript(main, part, readPart, (text) => {
      const keys = deferKeys(text.toString('latin1'));
      // Only a table this restore fills gains from building its indexes afterwards.
      if (!keys || !(withRows.get(keys.table) ?? []).some((p) => (p.rows ?? 0) > 0)) return rawSql(text);
      deferred.set(keys.table, keys);
      if (keys.indexes) progress.indexesPending.add(keys.table);
      if (keys.foreignKeys) progress.foreignKeysPending.add(keys.table);
      return keys.create; // latin1 already: the bytes as they were
    });
  }
  progress.schemaDone = true;
  const tables = [...withRows].map(([table, parts]) => ({ table, parts, bytes: parts.reduce((sum, p) => sum + p.rawBytes, 0) })).sort((a, b) => b.bytes - a.bytes);
  const lanes = Math.max(1, Math.min(options.jobs, tables.length));
  const connections: Connection[] = [main];
  try {
    for (let i = 1; i < lanes; i += 1) {
      const connection = await connectMysql(options.uri, 'destination', { binaryQueries: true });
      connections.push(connection);
      for (const statement of SESSION_START) await connection.query(statement);
    }
    if (lanes > 1) options.reporter.info(`loading ${tables.length} tables over ${lanes} connections`);
    let failure: unknown;
    const stopped = () => failure !== undefined || options.signal?.aborted === true;
    const lane = async (connection: Connection) => {
      for (let next = tables.shift(); next && !stopped(); next = tables.shift()) {
        const { table, parts } = next;
        try {
          let rows = 0;
          for (const part of parts) rows += await loadPart(connection, part, readPart, stopped);
          if (stopped()) return;
          progress.loaded.add(table);
          progress.rows += rows;
          const keys = deferred.get(table);
          if (keys?.indexes) {
            await run(connection, keys.indexes, `${table}: building its indexes`);
            progress.indexesPending.delete(table);
          }
        } catch (error) {
          // A lost connection is told in one line naming the server; any other failure names its table.
          const explained = explainLostMysql(error, 'destination', options.uri, connection);
          failure ??= explained === error ? withContext(`restoring ${parts[0]!.label}`, error) : explained;
        }
      }
    };
    await Promise.all(connections.map(lane));
    if (failure !== undefined) throw failure;
    if (options.signal?.aborted) throw interrupted(options.signal);
  } finally {
    await Promise.all(connections.slice(1).map((connection) => connection.end().catch(() => connection.destroy())));
  }
  for (const [table, keys] of deferred) {
    if (!keys.foreignKeys) continue;
    await run(main, keys.foreignKeys, `${table}: adding its foreign keys`);
    progress.foreignKeysPending.delete(table);
  }
  for (const part of manifest.parts.filter((p) => p.kind === 'sql' && p.section === 'post-data')) {
    if (options.signal?.aborted) throw interrupted(options.signal);
    await runScript(main, part, readPart, rawSql);
  }
  progress.postDataDone = true;
}

function interrupted(signal: AbortSignal): ReplibyteError {
  return new ReplibyteError(`restore ${signal.reason instanceof Error ? signal.reason.message : 'interrupted'}`);
}

/** A table part's INSERTs, each checked to add its rows; the next statement is read while one runs. */
async function loadPart(connection: Connection, part: ManifestPart, readPart: PartReader, stopped: () => boolean): Promise<number> {
  const statements = liveInsertStatements(readPart(part), part.label);
  let loaded = 0;
  let next: Promise<IteratorResult<InsertStatement>> = statements.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) break;
      if (stopped()) return loaded;
      next = statements.next();
      next.catch(() => undefined); // awaited above, or dropped with the generator below
      let result: ResultSetHeader;
      try {
        [result] = (await connection.query(rawSql(current.value.text))) as unknown as [ResultSetHeader];
      } catch (error) {
        throw statementFailure(error, current.value.line, current.value.text);
      }
      loaded += result.affectedRows ?? 0;
    }
  } finally {
    await next.catch(() => undefined);
    await statements.return(undefined).catch(() => undefined);
  }
  if (loaded !== part.rows) throw new ReplibyteError(`${part.label}: loaded ${loaded} rows, the manifest says ${part.rows}`);
  return loaded;
}

/** Runs a `sql` part statement by statement; `rewrite` gives the text sent for each statement (latin1: raw bytes). */
async function runScript(connection: Connection, part: ManifestPart, readPart: PartReader, rewrite: (text: Buffer) => string): Promise<void> {
  for await (const statement of splitMysqlScript(readPart(part), part.label)) {
    if (statement.kind !== 'statement') continue;
    try {
      await connection.query(rewrite(statement.text));
    } catch (error) {
      throw withContext(part.label, statementFailure(error, statement.line, statement.text));
    }
  }
}

async function run(connection: Connection, sql: string, what: string): Promise<void> {
  try {
    await connection.query(sql);
  } catch (error) {
    const err = error as Error & { sqlMessage?: string };
    throw new ReplibyteError(`${what}: ${err.sqlMessage ?? err.message}: ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}

export function statementFailure(error: unknown, line: number, text: Buffer): unknown {
  const err = error as Error & { sqlMessage?: string; fatal?: boolean };
  if (err.sqlMessage === undefined || err.fatal) return error; // a lost connection, not the statement's fault
  const excerpt = text.toString('utf8', 0, 400).replace(/\s+/g, ' ').trim().slice(0, 160);
  return new ReplibyteError(`statement on line ${line}: ${err.sqlMessage}: ${excerpt}`);
}
