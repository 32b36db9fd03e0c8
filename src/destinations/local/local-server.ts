import { execFile } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReplibyteError } from '../../errors.js';

const run = promisify(execFile);

export type LocalEngine = 'postgresql' | 'mysql';

/** What a running (or kept) local server is, written to `<dataDir>/state.json` (mode 0600). */
export interface LocalServerState {
  name: string;
  /** Absent in the state files of versions before MySQL: PostgreSQL. */
  engine?: LocalEngine;
  dataDir: string;
  port: number;
  pid: number;
  user: string;
  /** A random password made for this server; it only guards a throwaway copy on 127.0.0.1. */
  password: string;
  startedAt: string;
  detached: boolean;
  /** The pristine copy of the last restore, which `local clone` and `local reset` copy from. */
  template?: string;
  /** MySQL: the server binary it runs from (`--server-binary` or the one found on PATH). */
  serverBinary?: string;
}

export interface LocalDatabase {
  name: string;
  bytes: number;
}

/**
 * A throwaway database server on 127.0.0.1 that replibyte started (`dump restore local`): PostgreSQL from
 * the embedded binaries (local-postgres.ts) or MySQL/MariaDB from a server binary on PATH (local-mysql.ts).
 * Clones copy a database inside the server: PostgreSQL with `CREATE DATABASE … TEMPLATE`, MySQL table by
 * table (decisions 0021 and 0022).
 */
export interface LocalServer {
  readonly engine: LocalEngine;
  readonly state: LocalServerState;
  readonly dataDir: string;
  readonly port: number;
  /** "PostgreSQL 15", "MariaDB 10.11.19": for messages. */
  readonly label: string;
  uri(database?: string): string;
  /** Creates an empty database (nothing if it exists). */
  createDatabase(name: string): Promise<void>;
  /** Drops a database, whoever is connected to it (nothing if it does not exist). */
  dropDatabase(name: string): Promise<void>;
  /** Makes `name` a copy of `template` (which must not exist yet). */
  copyDatabase(template: string, name: string): Promise<void>;
  /** Guards a restored database as the pristine template (PostgreSQL: no connections to it). */
  sealTemplate(name: string): Promise<void>;
  /** The databases users made or restored, with their sizes; system ones are left out. */
  databases(): Promise<LocalDatabase[]>;
  /** The same names without the sizes (which cost a walk over every database's files). */
  databaseNames(): Promise<string[]>;
  /** Records the pristine template in the state file. */
  setTemplate(name: string): Promise<void>;
  /** Marks the server as left running on purpose (`--detach`): `local stop` finds it by its state file. */
  detach(): Promise<void>;
  /** Stops the server; with `remove`, deletes its data directory too. */
  stop(options?: { remove?: boolean }): Promise<void>;
}

export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The base of every local server's data directory (REPLIBYTE_LOCAL_DIR, else see defaultLocalDir). */
export function defaultLocalBase(): string {
  return process.env.REPLIBYTE_LOCAL_DIR ?? (isRoot() ? '/var/tmp/replibyte/local' : join(homedir(), '.replibyte', 'local'));
}

/**
 * Where local servers live by default. PostgreSQL refuses to run as root, so as root the server runs as
 * the `postgres` system user (MySQL as `mysql`), which cannot enter /root: then the default is under
 * /var/tmp instead. REPLIBYTE_LOCAL_DIR overrides both.
 */
export function defaultLocalDir(name: string): string {
  if (!SERVER_NAME.test(name)) throw new ReplibyteError(`invalid local server name '${name}': use letters, digits, '.', '_' and '-'`);
  return join(defaultLocalBase(), name);
}

export function isRoot(): boolean {
  return userInfo().uid === 0;
}

export async function readState(dataDir: string): Promise<LocalServerState | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as LocalServerState;
  } catch {
    return undefined;
  }
}

export async function saveState(state: LocalServerState): Promise<void> {
  const path = join(state.dataDir, 'state.json');
  await writeFile(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** The uid and gid of a system user the server runs as when we are root (`postgres`, `mysql`). */
export async function systemUser(user: string, engine: string): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new ReplibyteError(
      `${engine} does not run as root here, and there is no \`${user}\` system user to run it as`,
      `run replibyte as a normal user, or create the user once: useradd --system ${user}`,
    );
  }
}

export function portInUse(port: number): ReplibyteError {
  return new ReplibyteError(`port ${port} on 127.0.0.1 is in use`, 'choose another with --port, or leave it out to get a free one');
}

/** Database names `local clone` accepts: one rule for both engines (PostgreSQL's 63 bytes, MySQL's 64). */
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1', 'mysql', 'information_schema', 'performance_schema', 'sys']);

export function checkDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new ReplibyteError(`invalid database name '${name}': use up to 63 letters, digits, '_' and '-', starting with a letter or '_'`);
  }
  if (SYSTEM_DATABASES.has(name.toLowerCase())) throw new ReplibyteError(`'${name}' is a system database of the local server: choose another name`);
}

/** The pristine copy's name: the restored database's, with `_template` (clones and resets copy it). */
export function templateName(database: string): string {
  return `${database.slice(0, 54)}_template`;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
