import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { CLI } from './cli.js';
import { PG_ADMIN_URI } from './postgres.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built CLI running in the background, for tests that act on it mid-run (signals, killed backends). */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches; rejects after `timeoutMs` or when the CLI exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the process is gone; SIGKILLs it after `timeoutMs` (the exit then has signal SIGKILL). */
  exit(timeoutMs: number): Promise<Exit>;
}

export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout!.setEncoding('utf8').on('data', (text: string) => ((stdout += text), changed()));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => ((stderr += text), changed()));
  const closed = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) finish();
        };
        const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        void closed.then((exit) => finish(pattern.test(stdout) || pattern.test(stderr) ? undefined : new Error(`the CLI exited (${exit.code ?? exit.signal}) before ${pattern}; stderr: ${stderr}; stdout ends: ${stdout.slice(-600)}`)));
        check();
      });
    },
    async exit(timeoutMs) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URI });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The backends connected to a database (pg_stat_activity), as `application_name: query` lines. */
export async function backendsOf(database: string): Promise<string[]> {
  return admin(async (client) => {
    const { rows } = await client.query<{ line: string }>(
      "SELECT application_name || ': ' || left(query, 60) AS line FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [database],
    );
    return rows.map((row) => row.line);
  });
}

/** Waits (at most `timeoutMs`) until no backend is connected to the database; returns those still there. */
export async function backendsLeft(database: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await backendsOf(database);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits (at most `timeoutMs`) for a backend of the database whose application_name and query match
 * (e.g. 'replibyte source' running `COPY%`), and terminates it (pg_terminate_backend). Returns its pid.
 */
export async function terminateBackendWhen(database: string, applicationName: string, queryLike: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return admin(async (client) => {
    for (;;) {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND state = 'active' AND query LIKE $3 LIMIT 1`,
        [database, applicationName, queryLike],
      );
      if (rows[0]) {
        await client.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        return rows[0].pid;
      }
      if (Date.now() > deadline) throw new Error(`no ${applicationName} backend running ${queryLike} on ${database} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}

/** Waits (at most `timeoutMs`) until a backend of the database runs a query like `queryLike`. */
export async function waitForQuery(database: string, applicationName: string, queryLike: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await admin(async (client) => {
    for (;;) {
      const { rows } = await client.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND state = 'active' AND query LIKE $3`,
        [database, applicationName, queryLike],
      );
      if (rows.length > 0) return;
      if (Date.now() > deadline) throw new Error(`no ${applicationName} backend running ${queryLike} on ${database} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}

/** The files under a local-disk datastore, as keys (`name/000001.chunk`): empty directories are not files. */
export async function storedFiles(storeDir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const { join, relative, sep } = await import('node:path');
  const entries = await readdir(storeDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(storeDir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}
