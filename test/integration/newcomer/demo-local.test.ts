import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../support/cli.js';

/**
 * The newcomer's path, on embedded PostgreSQL only: nothing here talks to the machine's server on
 * 127.0.0.1:5432 (every URI is checked). Servers live under a temporary REPLIBYTE_LOCAL_DIR and every
 * one the test starts is stopped in afterAll.
 */
let root: string;
let env: NodeJS.ProcessEnv;
let demoDir: string;
let config: string;
const TIMEOUT = 300_000;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-newcomer-'));
  // As root, the servers run as the `postgres` user, which must be able to enter the directory.
  await chmod(root, 0o755);
  env = { REPLIBYTE_LOCAL_DIR: join(root, 'servers') };
  demoDir = join(root, 'demo');
  config = join(demoDir, 'conf.yaml');
});

afterAll(async () => {
  for (const name of ['demo-source', 'demo', 'detached', 'foreground']) {
    await runCli(['local', 'stop', name], { env, timeoutMs: 60_000 });
  }
  await rm(root, { recursive: true, force: true });
}, TIMEOUT);

async function query(uri: string, text: string): Promise<pg.QueryResultRow[]> {
  expect(new URL(uri).port).not.toBe('5432');
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('first ten minutes', () => {
  it('replibyte demo: embedded source, config with transformers, dump, list, local restore, rows before and after', async () => {
    const result = await runCli(['demo', '--dir', demoDir, '--keep'], { env, timeoutMs: TIMEOUT - 10_000 });
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1\. starting a source PostgreSQL 15 \(embedded, no Docker\)/);
    expect(result.stdout).toMatch(/\ndemo +\| [\d.]+ kB/);
    const before = /before \(the source, demo-source\):\n(.*)\n.*\n(.*)\n/.exec(result.stdout)!;
    const after = /after \(the restored copy a developer gets\):\n(.*)\n.*\n(.*)\n/.exec(result.stdout)!;
    const email = (row: string) => row.split('|').map((cell) => cell.trim())[3];
    expect(email(before[2]!)).toMatch(/@/);
    expect(email(after[2]!)).toMatch(/@/);
    expect(email(after[2]!)).not.toBe(email(before[2]!));
    expect(result.stderr).toMatch(/dump: 3 tables, [\d,]+ rows/); // progress summary (plain lines: not a terminal)
    // The subset: a 25% random sample (decision 0040: about a quarter, the same rows for the same seed).
    const kept = Number(/public\.orders: (\d+) of 2000 rows kept/.exec(result.stderr)?.[1]);
    expect(kept).toBeGreaterThan(440);
    expect(kept).toBeLessThan(560);
    const conf = await readFile(config, 'utf8');
    expect(conf).toMatch(/transformer_name: email/);
    expect(conf).toMatch(/database_subset:/);
    const sourceUri = /source: +(\S+)/.exec(result.stdout)![1]!;
    const localUri = /restored copy: +(\S+)/.exec(result.stdout)![1]!;
    expect((await query(sourceUri, 'SELECT count(*)::int AS n FROM orders'))[0]!.n).toBe(2000);
    expect((await query(localUri, 'SELECT count(*)::int AS n FROM orders'))[0]!.n).toBe(kept);
    const orphans = await query(localUri, 'SELECT count(*)::int AS n FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL');
    expect(orphans[0]!.n).toBe(0);
    // No original email or card number survives in the copy.
    const originals = await query(sourceUri, 'SELECT email, card_number FROM customers');
    const copies = await query(localUri, 'SELECT email, card_number FROM customers');
    expect(copies.length).toBeGreaterThan(0);
    const sourceValues = new Set(originals.flatMap((row) => [row.email, row.card_number]));
    expect(copies.filter((row) => sourceValues.has(row.email) || sourceValues.has(row.card_number))).toEqual([]);
  }, TIMEOUT);

  it('shows progress on a terminal (through a pseudo-terminal), none with --quiet, JSON lines with --json', () => {
    const pty = spawnSync('script', ['-qec', `${process.execPath} ${CLI} -c ${config} dump create -n on-a-tty`, '/dev/null'], {
      env: { ...process.env, ...env, COLUMNS: '160' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(pty.status).toBe(0);
    expect(pty.stdout).toContain('\r\x1b[2Kdump [');
    expect(pty.stdout).toMatch(/rows\/s {2}[\d.]+ [kM]B\/s/);
    expect(pty.stdout).toMatch(/dump: 3 tables, [\d,]+ rows, [\d.]+ kB in, [\d.]+ kB out/);

    const quiet = spawnSync('script', ['-qec', `${process.execPath} ${CLI} -q -c ${config} dump create -n quiet`, '/dev/null'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
  }, TIMEOUT);

  it('dump create --json and dump list --json are for scripts', async () => {
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'as-json', '--json'], { env });
    expect(created.code).toBe(0);
    const events = created.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; rows?: number });
    expect(events[0]).toMatchObject({ type: 'message' });
    const tableEnds = events.filter((e) => e.type === 'table-end');
    expect(tableEnds).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'message' });
    const keptRows = tableEnds.reduce((sum, e) => sum + (e.rows ?? 0), 0);
    expect(keptRows).toBeLessThan(2560); // the subset kept a quarter of the orders and what they reference
    expect(events.find((e) => e.type === 'end')).toMatchObject({ operation: 'dump', tables: 3, rows: keptRows });
    const list = await runCli(['-c', config, 'dump', 'list', '--json'], { env });
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((d) => d.name).sort()).toEqual(['as-json', 'demo', 'on-a-tty', 'quiet']);
  }, TIMEOUT);

  it('dump restore local --detach leaves a server running; local stop stops it and removes its data', async () => {
    const result = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'demo', '--name', 'detached', '--detach'], { env, timeoutMs: 120_000 });
    expect(result.stderr).toMatch(/stop it with: replibyte local stop detached/);
    expect(result.code).toBe(0);
    const uri = result.stdout.trim();
    expect(uri).toMatch(/^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/shop$/);
    // The demo dump is a subset: the customers of a quarter of the orders, every order's customer present.
    // The demo's 25% sample of 2000 orders (about 500: decision 0040).
    const orders = (await query(uri, 'SELECT count(*)::int AS n FROM orders'))[0]!.n;
    expect(orders).toBeGreaterThan(440);
    expect(orders).toBeLessThan(560);
    expect((await query(uri, 'SELECT count(*)::int AS n FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL'))[0]!.n).toBe(0);
    const dataDir = join(root, 'servers', 'detached');
    expect(await exists(join(dataDir, 'state.json'))).toBe(true);
    const stopped = await runCli(['local', 'stop', 'detached'], { env });
    expect(stopped.stderr).toMatch(/stopped the local PostgreSQL detached/);
    expect(stopped.code).toBe(0);
    expect(await exists(dataDir)).toBe(false);
    await expect(query(uri, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  }, TIMEOUT);

  it('dump restore local stays up until Ctrl-C, then stops and removes its data', async () => {
    const child = spawn(process.execPath, [CLI, '-c', config, 'dump', 'restore', 'local', '-v', 'latest', '--name', 'foreground'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const uri = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URI within 120 s: ${stderr}`)), 120_000);
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.trim());
        }
      });
    });
    expect((await query(uri, 'SELECT count(*)::int AS n FROM products'))[0]!.n).toBe(60);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the SIGINT handler is set once the URI is out
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/stopped and removed/);
    expect(await exists(join(root, 'servers', 'foreground'))).toBe(false);
  }, TIMEOUT);
});
