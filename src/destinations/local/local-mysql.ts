import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ReplibyteError } from '../../errors.js';
import { connectMysql } from '../../engines/mysql/connection.js';
import { quoteMysqlIdentifier } from '../../engines/mysql/identifiers.js';
import { findFreePort, isPortInUse } from './free-port.js';
import {
  defaultLocalDir, exists, isRoot, portInUse, readState, saveState, systemUser,
  type LocalDatabase, type LocalServer, type LocalServerState,
} from './local-server.js';
import { copyMysqlDatabase } from './mysql-copy.js';
import { findMysqlServer, type MysqlServerBinaries } from './mysql-binaries.js';

const run = promisify(execFile);

export interface LocalMysqlOptions {
  name?: string;
  dataDir?: string;
  port?: number;
  /** `--server-binary`: mariadbd or mysqld; default the one on PATH (or in /usr/sbin …). */
  serverBinary?: string;
  /** The dump's flavour: its own server binary is looked for first. */
  prefer?: 'mariadb' | 'mysql';
}

const USER = 'root';
/** As root, the server runs as this system user (mariadbd refuses root unless told). */
const SYSTEM_USER = 'mysql';
/** Marks a data directory replibyte made, so that `local stop --force` removes only those. */
const MARKER = '.replibyte-local-mysql';
const DATA = 'mysqldata';
const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * A throwaway MySQL/MariaDB on 127.0.0.1 from a server binary already on the machine (no Docker): its own
 * data directory, a free port, a random password for `root`@`127.0.0.1`. Started in its own session
 * (detached), so that it outlives this process when asked to (`--detach`) and Ctrl-C reaches only us.
 * A clone is a database copy, table by table (decision 0022): MySQL has no template databases.
 */
export class LocalMysql implements LocalServer {
  readonly engine = 'mysql' as const;

  private constructor(
    readonly state: LocalServerState,
    readonly label: string,
  ) {}

  get dataDir(): string {
    return this.state.dataDir;
  }

  get port(): number {
    return this.state.port;
  }

  uri(database = 'mysql'): string {
    return `mysql://${USER}:${encodeURIComponent(this.state.password)}@127.0.0.1:${this.state.port}/${encodeURIComponent(database)}`;
  }

  static async start(options: LocalMysqlOptions = {}): Promise<LocalMysql> {
    const name = options.name ?? 'default';
    const dataDir = resolve(options.dataDir ?? defaultLocalDir(name));
    const previous = await readState(dataDir);
    const binaries = await findMysqlServer({
      ...((options.serverBinary ?? previous?.serverBinary) && { serverBinary: options.serverBinary ?? previous!.serverBinary! }),
      ...(options.prefer && { prefer: options.prefer }),
    });
    const label = `${binaries.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${binaries.version}`;
    if (previous && previous.engine !== 'mysql') {
      throw new ReplibyteError(`${dataDir} holds a local ${previous.engine ?? 'postgresql'} server, not MySQL`, 'give this restore another --name (or --data-dir)');
    }
    if (previous && (await isRunning(dataDir))) {
      throw new ReplibyteError(
        `a local MySQL already runs from ${dataDir} (port ${previous.port})`,
        `stop it first: replibyte local stop ${previous.name === name ? name : `--data-dir ${dataDir}`}`,
      );
    }
    if (options.port !== undefined && (await isPortInUse(options.port))) throw portInUse(options.port);
    const owner = isRoot() ? await systemUser(SYSTEM_USER, 'MySQL') : undefined;
    await mkdir(join(dataDir, '..'), { recursive: true, mode: 0o755 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (owner) await chown(dataDir, owner.uid, owner.gid);

    const fresh = !(await exists(join(dataDir, DATA, 'mysql')));
    let password = previous?.password;
    if (fresh) {
      password = randomBytes(12).toString('hex');
      await writeFile(join(dataDir, MARKER), `${binaries.server}\n`);
      await initialise(binaries, dataDir, owner).catch(async (error: unknown) => {
        await removeDataDir(dataDir);
        throw error;
      });
    } else if (!password) {
      throw new ReplibyteError(
        `${dataDir} holds a MySQL data directory without replibyte's state.json`,
        `choose another --data-dir, or remove it if replibyte made it: replibyte local stop --force --data-dir ${dataDir}`,
      );
    }
    const port = options.port ?? (await findFreePort());
    const state: LocalServerState = {
      name, engine: 'mysql', dataDir, port, pid: 0, user: USER, password: password!, startedAt: new Date().toISOString(), detached: false,
      serverBinary: binaries.server, ...(previous?.template && { template: previous.template }),
    };
    try {
      state.pid = await startServer(binaries, state, owner, fresh);
    } catch (error) {
      // A data directory made by this call has no state.json yet: without it nothing could use or stop it later.
      if (fresh) await removeDataDir(dataDir);
      throw error;
    }
    await saveState(state);
    return new LocalMysql(state, label);
  }

  /** The server a state file describes, which must be running (`local clone`, `local list`). */
  static async open(dataDir: string): Promise<LocalMysql> {
    const state = await readState(dataDir);
    if (!state) throw new ReplibyteError(`no local server in ${dataDir} (no state.json)`);
    if (!(await isRunning(dataDir))) {
      throw new ReplibyteError(
        `the local MySQL ${state.name} is not running (its data is kept in ${dataDir})`,
        'restore into it again to start it (dump restore local --name NAME), or remove it: replibyte local stop NAME',
      );
    }
    return new LocalMysql(state, 'MySQL');
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
    await this.admin((connection) => connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdentifier(database)} CHARACTER SET utf8mb4`));
  }

  /** Sessions on the database are killed first: their metadata locks would hold DROP DATABASE forever. */
  async dropDatabase(database: string): Promise<void> {
    await this.admin(async (connection) => {
      const [sessions] = await connection.query<RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
      for (const session of sessions) await connection.query(`KILL ${Number(session.id)}`).catch(() => undefined);
      await connection.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdentifier(database)}`);
    });
  }

  async copyDatabase(template: string, database: string): Promise<void> {
    await copyMysqlDatabase(this.uri(template), this.uri(database), template, database);
  }

  /** MySQL cannot refuse connections to one database: the template is guarded by its name only. */
  async sealTemplate(): Promise<void> {}

  async databases(): Promise<LocalDatabase[]> {
    return this.admin(async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT s.SCHEMA_NAME AS name, COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS bytes
         FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
         WHERE s.SCHEMA_NAME NOT IN (?) GROUP BY s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME`,
        [SYSTEM_DATABASES],
      );
      return rows.map((row) => ({ name: row.name as string, bytes: Number(row.bytes) }));
    });
  }

  async databaseNames(): Promise<string[]> {
    return this.admin(async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (?) ORDER BY 1', [SYSTEM_DATABASES]);
      return rows.map((row) => row.name as string);
    });
  }

  async stop(options: { remove?: boolean } = {}): Promise<void> {
    await stopServer(this.dataDir, this.state.pid);
    if (options.remove) await removeDataDir(this.dataDir);
  }

  private async admin<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = await connectMysql(this.uri(), 'destination');
    try {
      return await work(connection);
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  }
}

/** `local stop` of a MySQL server (a detached one, or one left by a crash); `force` removes one without state. */
export async function stopLocalMysql(dataDir: string, options: { remove?: boolean; force?: boolean } = {}): Promise<LocalServerState | undefined> {
  const state = await readState(dataDir);
  if (!state) {
    if (!options.force || !(await madeByReplibyte(dataDir))) throw new ReplibyteError(`no local MySQL in ${dataDir} (no state.json)`);
    await stopServer(dataDir, await pidFromFile(dataDir));
    await removeDataDir(dataDir);
    return undefined;
  }
  await stopServer(dataDir, state.pid);
  if (options.remove) await removeDataDir(dataDir);
  return state;
}

export async function madeByReplibyte(dataDir: string): Promise<boolean> {
  return exists(join(dataDir, MARKER));
}

/** MariaDB: mariadb-install-db; MySQL: mysqld --initialize-insecure. Either leaves root@localhost without a password, unreachable over TCP. */
async function initialise(binaries: MysqlServerBinaries, dataDir: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const data = join(dataDir, DATA);
  const user = owner ? [`--user=${SYSTEM_USER}`] : [];
  const [file, args] = binaries.installDb
    ? [binaries.installDb, ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', `--basedir=${resolve(binaries.server, '..', '..')}`]]
    : [binaries.server, ['--no-defaults', '--initialize-insecure', `--datadir=${data}`, ...user]];
  try {
    await run(file, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, timeout: 120_000 });
  } catch (error) {
    const err = error as { stderr?: string; stdout?: string; message: string };
    const detail = (err.stderr || err.stdout || err.message).trim().split('\n').slice(-3).join(' | ');
    throw new ReplibyteError(`initialising a MySQL data directory in ${dataDir} with ${file} failed: ${detail}`);
  }
}

/**
 * Starts the server in its own session and waits until our account answers on 127.0.0.1. On the first
 * start an init file (readable only by the server's user, removed once the server is up) gives
 * `root`@`127.0.0.1` the random password: never on a command line.
 */
async function startServer(binaries: MysqlServerBinaries, state: LocalServerState, owner: { uid: number; gid: number } | undefined, fresh: boolean): Promise<number> {
  const { dataDir, port } = state;
  const initFile = join(dataDir, 'init.sql');
  const log = join(dataDir, 'mysqld.log');
  if (fresh) {
    const password = state.password.replaceAll("'", "''");
    await writeFile(initFile, [
      `CREATE USER IF NOT EXISTS '${USER}'@'127.0.0.1' IDENTIFIED BY '${password}';`,
      `ALTER USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${password}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'127.0.0.1' WITH GRANT OPTION;`,
      '',
    ].join('\n'), { mode: 0o600 });
    if (owner) await chown(initFile, owner.uid, owner.gid);
  }
  const args = [
    '--no-defaults',
    `--datadir=${join(dataDir, DATA)}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socketPath(dataDir)}`,
    `--pid-file=${join(dataDir, 'mysqld.pid')}`,
    `--log-error=${log}`,
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    // A development copy: durability traded for speed, since the data can always be restored again.
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--sync-binlog=0',
    ...(binaries.flavor === 'mysql' ? ['--skip-log-bin', '--mysqlx=OFF'] : []),
    ...(owner ? [`--user=${SYSTEM_USER}`] : []),
    ...(fresh ? [`--init-file=${initFile}`] : []),
  ];
  const child = spawn(binaries.server, args, { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  child.unref();
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited !== undefined) {
        const tail = await logTail(log);
        if (/address already in use|bind on tcp\/ip port/i.test(tail)) throw portInUse(port);
        throw new ReplibyteError(`the local MySQL in ${dataDir} did not start on port ${port}: ${tail || `exit code ${exited}`}`);
      }
      const connection = await connectMysql(`mysql://${USER}:${encodeURIComponent(state.password)}@127.0.0.1:${port}/mysql`, 'destination').catch(() => undefined);
      if (connection) {
        await connection.end().catch(() => connection.destroy());
        break;
      }
      if (Date.now() > deadline) {
        await stopServer(dataDir, child.pid ?? 0);
        throw new ReplibyteError(`the local MySQL in ${dataDir} did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s: ${await logTail(log)}`);
      }
      await sleep(250);
    }
  } finally {
    await rm(initFile, { force: true });
  }
  return child.pid!;
}

async function stopServer(dataDir: string, pid: number): Promise<void> {
  if (!pid || !(await isAlive(pid, dataDir))) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (await isAlive(pid, dataDir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(200);
  }
}

export async function isRunning(dataDir: string): Promise<boolean> {
  const state = await readState(dataDir);
  const pid = state?.pid || (await pidFromFile(dataDir));
  return pid > 0 && isAlive(pid, dataDir);
}

/** The process exists and is the server of this data directory (a recycled pid is someone else's). */
async function isAlive(pid: number, dataDir: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return command === undefined || command.includes(join(dataDir, DATA));
}

async function pidFromFile(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'mysqld.pid'), 'utf8').catch(() => '0')).trim()) || 0;
}

/** In the data directory, unless that path is too long for a Unix socket (108 bytes): then in the temp dir. */
function socketPath(dataDir: string): string {
  const inside = join(dataDir, 'mysqld.sock');
  if (inside.length < 100) return inside;
  return join(tmpdir(), `replibyte-mysql-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}.sock`);
}

async function logTail(log: string): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.trim().split('\n').filter((line) => /error|fail|abort/i.test(line)).slice(-3).join(' | ') || text.trim().split('\n').slice(-2).join(' | ');
}

/** Removes what replibyte put in a data directory, and the directory only if that leaves it empty. */
async function removeDataDir(dataDir: string): Promise<void> {
  for (const entry of [DATA, 'mysqld.log', 'mysqld.pid', 'mysqld.sock', 'init.sql', 'state.json', MARKER]) await rm(join(dataDir, entry), { recursive: true, force: true });
  await rm(socketPath(dataDir), { force: true });
  await rmdir(dataDir).catch(() => undefined);
}
