import { execFile, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ReplibyteError } from '../../errors.js';
import { libpqConnection } from '../../engines/postgres/connection.js';

const run = promisify(execFile);

export interface PgDumpBinary {
  path: string;
  version: string;
  major: number;
}

/**
 * Finds the pg_dump to use for a server: the lowest major version that is at least the server's
 * (an older pg_dump refuses a newer server; a much newer one writes SQL an older destination may not
 * understand). `REPLIBYTE_PG_DUMP` forces a binary.
 */
export async function findPgDump(serverMajor: number, env: NodeJS.ProcessEnv = process.env): Promise<PgDumpBinary> {
  const candidates = env.REPLIBYTE_PG_DUMP ? [env.REPLIBYTE_PG_DUMP] : await candidatePaths(env);
  const found: PgDumpBinary[] = [];
  for (const path of new Set(candidates)) {
    const binary = await probe(path);
    if (binary) found.push(binary);
  }
  const usable = found.filter((b) => b.major >= serverMajor).sort((a, b) => a.major - b.major);
  if (usable[0]) return usable[0];
  const seen = found.length > 0 ? `found only ${found.map((b) => `pg_dump ${b.version} (${b.path})`).join(', ')}` : 'found no pg_dump';
  throw new ReplibyteError(
    `pg_dump ${serverMajor} or newer is needed to dump this PostgreSQL ${serverMajor} server; ${seen}`,
    `install the PostgreSQL ${serverMajor} client (e.g. apt-get install postgresql-client-${serverMajor}) or set REPLIBYTE_PG_DUMP to its pg_dump`,
  );
}

async function candidatePaths(env: NodeJS.ProcessEnv): Promise<string[]> {
  const paths = (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'pg_dump'));
  for (const root of ['/usr/lib/postgresql', '/usr/pgsql', '/opt/homebrew/opt', '/usr/local/opt']) {
    const entries = await readdir(root).catch(() => [] as string[]);
    for (const entry of entries) paths.push(join(root, entry, 'bin', 'pg_dump'));
  }
  return paths;
}

async function probe(path: string): Promise<PgDumpBinary | undefined> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 10_000 });
    const match = /(\d+)(?:\.(\d+))?/.exec(stdout.replace(/^[^)]*\)/, ''));
    if (!match) return undefined;
    return { path, version: match[0], major: Number(match[1]) };
  } catch {
    return undefined;
  }
}

export interface PgDumpSectionOptions {
  binary: PgDumpBinary;
  uri: string;
  section: 'pre-data' | 'post-data';
  snapshot: string;
  /** `schema.table` names pg_dump must leave out entirely (already exact names, not patterns). */
  excludeTables: Array<{ schema: string; name: string }>;
  /** Kills pg_dump (the dump was abandoned). */
  signal?: AbortSignal;
}

/** Runs `pg_dump --section=… --snapshot=…` and streams its script; throws at the end if pg_dump failed. */
export async function* pgDumpSection(options: PgDumpSectionOptions): AsyncGenerator<Buffer> {
  const connection = await libpqConnection(options.uri);
  const args = [
    `--section=${options.section}`,
    `--snapshot=${options.snapshot}`,
    '--no-owner',
    '--no-privileges',
    '--no-subscriptions',
    '--no-security-labels',
    // Large objects are read by replibyte itself, with their content (src/sources/postgres/large-objects.ts).
    '--no-blobs',
    ...options.excludeTables.map((t) => `--exclude-table=${patternOf(t.schema)}.${patternOf(t.name)}`),
    `--dbname=${connection.dbnameArg}`,
  ];
  const child = spawn(options.binary.path, args, {
    env: { ...process.env, ...connection.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal && { signal: options.signal }),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4000) stderr += text;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => {
      if (options.signal?.aborted) reject(new ReplibyteError(`pg_dump --section=${options.section} was stopped: the dump was abandoned`));
      else reject(new ReplibyteError(`cannot run ${options.binary.path}: ${error.message}`));
    });
    child.on('close', resolve);
  });
  exited.catch(() => undefined);
  try {
    for await (const piece of child.stdout) yield piece as Buffer;
  } finally {
    if (child.exitCode === null) child.kill();
    // pg_dump reads a service file (an sslpassword) when it connects; it goes once pg_dump has.
    await exited.catch(() => undefined);
    await connection.cleanup();
  }
  const code = await exited;
  if (code !== 0) {
    const detail = stderr.trim().split('\n').slice(0, 3).join(' / ');
    throw new ReplibyteError(`pg_dump --section=${options.section} failed (exit ${code}): ${detail}`);
  }
}

/** A pg_dump name pattern that matches exactly this name: double quotes make every character literal. */
function patternOf(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
