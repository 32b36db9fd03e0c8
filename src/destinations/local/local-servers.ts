import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReplibyteError } from '../../errors.js';
import { checkDatabaseName, defaultLocalBase, readState, type LocalDatabase, type LocalServer, type LocalServerState } from './local-server.js';
import { isRunning as isPostgresRunning, LocalPostgres, stopLocalPostgres } from './local-postgres.js';

/**
 * The commands on local servers that are already there (`local clone|reset|drop|list|stop`): each finds
 * a server by its data directory's state.json and dispatches on its engine.
 */

/** The running server of a data directory. */
export async function openLocalServer(dataDir: string): Promise<LocalServer> {
  const state = await readState(dataDir);
  if (!state) throw new ReplibyteError(`no local server in ${dataDir} (no state.json)`, 'start one with: replibyte -c conf.yaml dump restore local -v latest --detach');
  // mysql2 loads only for a MySQL server.
  if (state.engine === 'mysql') return (await import('./local-mysql.js')).LocalMysql.open(dataDir);
  return LocalPostgres.open(dataDir);
}

async function isServerRunning(state: LocalServerState, dataDir: string): Promise<boolean> {
  if (state.engine === 'mysql') return (await import('./local-mysql.js')).isRunning(dataDir);
  return isPostgresRunning(dataDir);
}

/** `local stop`: stops the server of a data directory (a detached one, or one left by a crash). */
export async function stopLocalServer(dataDir: string, options: { remove?: boolean; force?: boolean } = {}): Promise<LocalServerState | undefined> {
  const state = await readState(dataDir);
  if (state?.engine === 'mysql') return (await import('./local-mysql.js')).stopLocalMysql(dataDir, options);
  if (!state) {
    // A data directory that lost its state: its marker says which engine made it.
    const mysql = await import('./local-mysql.js');
    if (await mysql.madeByReplibyte(dataDir)) return mysql.stopLocalMysql(dataDir, options);
  }
  return stopLocalPostgres(dataDir, options);
}

/** The engine of a data directory: its state's, else (state lost) the marker the MySQL start leaves. */
export async function localEngineOf(dataDir: string): Promise<'postgresql' | 'mysql'> {
  const state = await readState(dataDir);
  if (state) return state.engine ?? 'postgresql';
  return (await (await import('./local-mysql.js')).madeByReplibyte(dataDir)) ? 'mysql' : 'postgresql';
}

export interface ClonedDatabase {
  server: string;
  database: string;
  template: string;
  uri: string;
}

/**
 * `local clone`: a new database copied from the server's pristine template (the last `dump restore
 * local`). With `reset`, an existing database of that name is dropped first (`local reset`); without,
 * an existing one is an error.
 */
export async function cloneLocalDatabase(dataDir: string, database: string, options: { reset?: boolean } = {}): Promise<ClonedDatabase> {
  checkDatabaseName(database);
  const server = await openLocalServer(dataDir);
  const template = server.state.template;
  if (!template) {
    throw new ReplibyteError(
      `the local server ${server.state.name} has no pristine template to clone (it was started before clones existed)`,
      'restore into it again: replibyte -c conf.yaml dump restore local -v latest --detach',
    );
  }
  if (database === template) throw new ReplibyteError(`'${database}' is the pristine template of ${server.state.name}: a clone needs another name`);
  const present = new Set(await server.databaseNames());
  if (!present.has(template)) throw new ReplibyteError(`the pristine template ${template} is missing from the local server ${server.state.name}`, 'restore into it again to make it');
  if (present.has(database)) {
    if (!options.reset) throw new ReplibyteError(`the local server ${server.state.name} already has a database ${database}`, `start it over with: replibyte local reset ${server.state.name} ${database}`);
    await server.dropDatabase(database);
  } else if (options.reset) {
    throw new ReplibyteError(`the local server ${server.state.name} has no database ${database} to reset`, `make it with: replibyte local clone ${server.state.name} ${database}`);
  }
  await server.copyDatabase(template, database);
  return { server: server.state.name, database, template, uri: server.uri(database) };
}

/** `local drop`: removes a clone (or the restored database); the pristine template stays. */
export async function dropLocalDatabase(dataDir: string, database: string): Promise<void> {
  checkDatabaseName(database);
  const server = await openLocalServer(dataDir);
  if (database === server.state.template) {
    throw new ReplibyteError(`'${database}' is the pristine template of ${server.state.name}: clones and resets copy it`, `remove the whole server with: replibyte local stop ${server.state.name}`);
  }
  if (!(await server.databaseNames()).includes(database)) throw new ReplibyteError(`the local server ${server.state.name} has no database ${database}`);
  await server.dropDatabase(database);
}

export interface LocalServerListing {
  name: string;
  engine: string;
  dataDir: string;
  port: number;
  running: boolean;
  detached: boolean;
  template?: string;
  /** Running servers only; the template's `uri` is absent (nothing may connect to it). */
  databases: Array<LocalDatabase & { template: boolean; uri?: string }>;
}

/** `local list`: every server under the local base directory (REPLIBYTE_LOCAL_DIR or the default). */
export async function listLocalServers(baseDir = defaultLocalBase()): Promise<LocalServerListing[]> {
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const listings: LocalServerListing[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dataDir = join(baseDir, entry.name);
    const state = await readState(dataDir);
    if (!state) continue;
    const listing: LocalServerListing = {
      name: state.name,
      engine: state.engine ?? 'postgresql',
      dataDir,
      port: state.port,
      running: await isServerRunning(state, dataDir),
      detached: state.detached,
      ...(state.template && { template: state.template }),
      databases: [],
    };
    if (listing.running) {
      const server = await openLocalServer(dataDir);
      listing.databases = (await server.databases()).map((d) => ({
        ...d,
        template: d.name === state.template,
        ...(d.name !== state.template && { uri: server.uri(d.name) }),
      }));
    }
    listings.push(listing);
  }
  return listings;
}
