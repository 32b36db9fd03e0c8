import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

/**
 * #19 item 1: `dump restore local` keeps the restore as a pristine template; `local clone|reset|drop|list`
 * work on it. One embedded PostgreSQL under a temporary REPLIBYTE_LOCAL_DIR, stopped in afterAll.
 */
let root: string;
let env: NodeJS.ProcessEnv;
let config: string;
let restoredUri: string;
const TIMEOUT = 180_000;
const SCRIPT = `CREATE TABLE public.customers (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES public.customers (id));
COPY public.customers (id, name) FROM stdin;
1\tAda
2\tGrace
\\.
COPY public.orders (id, customer_id) FROM stdin;
1\t1
2\t2
3\t2
\\.
SELECT pg_catalog.setval('public.orders_id_seq', 3, true);

--
-- PostgreSQL database dump complete
--
`;

async function query<T extends pg.QueryResultRow>(uri: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const counts = (uri: string) =>
  query<{ customers: number; orders: number }>(uri, 'SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM orders) AS orders').then((rows) => rows[0]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-clones-'));
  await chmod(root, 0o755); // as root, the server runs as `postgres`, which must enter it
  env = { REPLIBYTE_LOCAL_DIR: join(root, 'servers') };
  await mkdir(join(root, 'store'));
  config = join(root, 'conf.yaml');
  await writeFile(config, `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
  const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'shop'], { input: SCRIPT });
  expect(created.code, created.stderr).toBe(0);
  const restored = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'shop', '--database', 'shop', '--detach', '--json'], { env, timeoutMs: 120_000 });
  expect(restored.code, restored.stderr).toBe(0);
  const ready = JSON.parse(restored.stdout.trim().split('\n').at(-1)!) as { type: string; uri: string; template: string };
  expect(ready.type).toBe('ready');
  expect(ready.template).toBe('shop_template');
  restoredUri = ready.uri;
}, TIMEOUT);

afterAll(async () => {
  await runCli(['local', 'stop'], { env, timeoutMs: 60_000 });
  await rm(root, { recursive: true, force: true });
}, TIMEOUT);

describe('local clones of a restore', () => {
  it('the restored database is a clone: the pristine template takes no connections and stays as restored', async () => {
    expect(new URL(restoredUri).pathname).toBe('/shop');
    expect(await counts(restoredUri)).toEqual({ customers: 2, orders: 3 });
    const template = new URL(restoredUri);
    template.pathname = '/shop_template';
    await expect(query(template.toString(), 'SELECT 1')).rejects.toThrow(/not currently accepting connections/);
  });

  it('local clone NAME copies the template, not the working database, and prints its URI', async () => {
    await query(restoredUri, 'DELETE FROM orders; DELETE FROM customers WHERE id = 2; CREATE TABLE scratch (x int)');
    const cloned = await runCli(['local', 'clone', 'worker_1'], { env });
    expect(cloned.code, cloned.stderr).toBe(0);
    const uri = cloned.stdout.trim();
    expect(new URL(uri).pathname).toBe('/worker_1');
    expect(await counts(uri)).toEqual({ customers: 2, orders: 3 });
    expect(await query(uri, "SELECT to_regclass('scratch') AS t")).toEqual([{ t: null }]);
    // The sequence, the keys and the constraints come along: the next order gets id 4, a bad one is refused.
    expect(await query(uri, 'INSERT INTO orders (customer_id) VALUES (1) RETURNING id')).toEqual([{ id: 4 }]);
    await expect(query(uri, 'INSERT INTO orders (customer_id) VALUES (99)')).rejects.toThrow(/foreign key/);

    const named = await runCli(['local', 'clone', 'default', 'worker_2', '--json'], { env });
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ server: 'default', database: 'worker_2', template: 'shop_template' });
  });

  it('local reset NAME drops a changed database, connections and all, and clones it again', async () => {
    const held = new pg.Client({ connectionString: restoredUri });
    await held.connect();
    held.on('error', () => undefined); // the reset terminates this session
    expect(await counts(restoredUri)).toEqual({ customers: 1, orders: 0 });
    const reset = await runCli(['local', 'reset', 'default', 'shop'], { env });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(restoredUri);
    expect(await counts(restoredUri)).toEqual({ customers: 2, orders: 3 });
    await held.end().catch(() => undefined);
  });

  it('local list shows the server, its databases, their sizes and URIs (the template without one)', async () => {
    const listed = await runCli(['local', 'list', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const [server, ...others] = JSON.parse(listed.stdout) as Array<{ name: string; engine: string; running: boolean; template: string; databases: Array<{ name: string; bytes: number; template: boolean; uri?: string }> }>;
    expect(others).toEqual([]);
    expect(server).toMatchObject({ name: 'default', engine: 'postgresql', running: true, template: 'shop_template' });
    expect(server!.databases.map((d) => d.name)).toEqual(['shop', 'shop_template', 'worker_1', 'worker_2']);
    for (const database of server!.databases) expect(database.bytes).toBeGreaterThan(1_000_000);
    expect(server!.databases.find((d) => d.name === 'shop_template')).toMatchObject({ template: true });
    expect(server!.databases.find((d) => d.name === 'shop_template')!.uri).toBeUndefined();
    expect(server!.databases.find((d) => d.name === 'shop')!.uri).toBe(restoredUri);

    const text = await runCli(['local', 'list'], { env });
    expect(text.stdout).toContain(`default  postgresql  running on 127.0.0.1:${new URL(restoredUri).port}`);
    expect(text.stdout).toMatch(/shop_template\s+\d[\d.]* MB\s+\(pristine template/);
    expect(text.stdout).toContain(restoredUri.replace('/shop', '/worker_1'));
  });

  it('refuses what would lose the template or someone\'s data, in one clear line each', async () => {
    const again = await runCli(['local', 'clone', 'worker_1'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has a database worker_1');
    expect(again.stderr).toContain('local reset default worker_1');
    const missing = await runCli(['local', 'reset', 'nobody'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no database nobody to reset');
    const template = await runCli(['local', 'drop', 'shop_template'], { env });
    expect(template.code).toBe(1);
    expect(template.stderr).toContain('pristine template');
    const system = await runCli(['local', 'clone', 'postgres'], { env });
    expect(system.code).toBe(1);
    expect(system.stderr).toContain('system database');
    const badName = await runCli(['local', 'clone', 'a;b'], { env });
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain("invalid database name 'a;b'");
    const noServer = await runCli(['local', 'clone', 'elsewhere', 'x'], { env });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/no local server in .*elsewhere/);
  });

  it('local drop NAME removes a clone and leaves the others', async () => {
    const dropped = await runCli(['local', 'drop', 'worker_2'], { env });
    expect(dropped.code, dropped.stderr).toBe(0);
    const names = (await query<{ datname: string }>(restoredUri, 'SELECT datname FROM pg_database ORDER BY datname')).map((r) => r.datname);
    expect(names).toEqual(['postgres', 'shop', 'shop_template', 'template0', 'template1', 'worker_1']);
    const droppedAgain = await runCli(['local', 'drop', 'worker_2'], { env });
    expect(droppedAgain.code).toBe(1);
    expect(droppedAgain.stderr).toContain('has no database worker_2');
  });
});
