import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMysqlServer } from '../../../src/destinations/local/mysql-binaries.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { startCli } from '../../support/running-cli.js';

/**
 * #19 item 2: `dump restore local` of a MySQL dump runs a throwaway MariaDB from the machine's own
 * mariadbd (its data dir under a temporary REPLIBYTE_LOCAL_DIR, a free port, a random password), with
 * the PostgreSQL lifecycle and clones as database copies. The machine's MariaDB on 3306 is only the
 * source (one throwaway database); every local server started here is stopped by the test.
 */
let root: string;
let env: NodeJS.ProcessEnv;
let config: string;
let source: MysqlTestDatabase;
let restoredUri: string;
const TIMEOUT = 240_000;

async function query<T = mysql.RowDataPacket>(uri: string, text: string, values: unknown[] = []): Promise<T[]> {
  const url = new URL(uri);
  const connection = await mysql.createConnection({
    host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)), multipleStatements: true, dateStrings: true,
  });
  try {
    const [rows] = await connection.query(text, values);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

const withDatabase = (uri: string, database: string) => {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
};

const pristine = async (uri: string) => ({
  customers: await query(uri, 'SELECT id, name, name_length FROM customers ORDER BY id'),
  orders: await query(uri, 'SELECT id, customer_id, total FROM orders ORDER BY id'),
  view: await query(uri, 'SELECT * FROM big_orders ORDER BY id'),
});

/** The process runs (a zombie waiting for init to reap it has stopped: its /proc state is Z). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-local-mysql-'));
  await chmod(root, 0o755); // as root, the server runs as `mysql`, which must enter it
  env = { REPLIBYTE_LOCAL_DIR: join(root, 'servers') };
  await mkdir(join(root, 'store'));
  source = await createMysqlDatabase('local_src');
  const loaded = source.client(`
    CREATE TABLE customers (id int PRIMARY KEY AUTO_INCREMENT, name varchar(40) NOT NULL, name_length int AS (CHAR_LENGTH(name)) STORED) ENGINE=InnoDB;
    CREATE TABLE orders (id int PRIMARY KEY AUTO_INCREMENT, customer_id int NOT NULL, total decimal(10,2) NOT NULL,
      CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB;
    CREATE TABLE audit (order_id int, at varchar(10)) ENGINE=InnoDB;
    INSERT INTO customers (name) VALUES ('Ada'), ('Grace'), ('Zoë');
    INSERT INTO orders (customer_id, total) VALUES (1, 10.50), (2, 99.99), (3, 250.00);
    CREATE VIEW big_orders AS SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 50;
    DELIMITER ;;
    CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW BEGIN INSERT INTO audit VALUES (NEW.id, 'insert'); END;;
    CREATE PROCEDURE count_orders(OUT n int) BEGIN SELECT COUNT(*) INTO n FROM orders; END;;
    DELIMITER ;
  `);
  expect(loaded.status, loaded.stderr).toBe(0);
  config = join(root, 'conf.yaml');
  await writeFile(config, `source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
  const created = await runCli(['-c', config, 'dump', 'create', '-n', 'shop']);
  expect(created.code, created.stderr).toBe(0);
  const restored = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'shop', '--database', 'shop', '--detach', '--json'], { env, timeoutMs: 180_000 });
  expect(restored.code, restored.stderr).toBe(0);
  const ready = JSON.parse(restored.stdout.trim().split('\n').at(-1)!) as { uri: string; template: string; port: number };
  expect(ready.template).toBe('shop_template');
  restoredUri = ready.uri;
}, TIMEOUT);

afterAll(async () => {
  await runCli(['local', 'stop'], { env, timeoutMs: 90_000 });
  await runCli(['local', 'stop', 'interrupted'], { env, timeoutMs: 90_000 });
  await source?.drop();
  await rm(root, { recursive: true, force: true });
}, TIMEOUT);

describe('local MySQL/MariaDB from the machine\'s server binary', () => {
  it('runs a server of its own: loopback, a free port, its own data directory, a random password', async () => {
    const url = new URL(restoredUri);
    expect(url.protocol).toBe('mysql:');
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe('3306');
    expect(decodeURIComponent(url.password)).toMatch(/^[0-9a-f]{24}$/);
    const [server] = await query<{ datadir: string; bind: string; version: string }>(restoredUri, 'SELECT @@datadir AS datadir, @@bind_address AS bind, VERSION() AS version');
    expect(server!.datadir).toContain(join(root, 'servers', 'default'));
    expect(server!.bind).toBe('127.0.0.1');
    expect(server!.version).toMatch(/MariaDB/);
    await expect(query(withDatabase(restoredUri, 'shop').replace(url.password, 'wrong'), 'SELECT 1')).rejects.toThrow(/Access denied/);
    const state = JSON.parse(await readFile(join(root, 'servers', 'default', 'state.json'), 'utf8')) as { engine: string; pid: number };
    expect(state.engine).toBe('mysql');
    expect(((await stat(join(root, 'servers', 'default', 'state.json'))).mode & 0o777).toString(8)).toBe('600');
    expect(alive(state.pid)).toBe(true);
  });

  it('restores the dump: rows, generated columns, keys, the view, the trigger and the routine', async () => {
    expect(await pristine(restoredUri)).toEqual({
      customers: [{ id: 1, name: 'Ada', name_length: 3 }, { id: 2, name: 'Grace', name_length: 5 }, { id: 3, name: 'Zoë', name_length: 3 }],
      orders: [{ id: 1, customer_id: 1, total: '10.50' }, { id: 2, customer_id: 2, total: '99.99' }, { id: 3, customer_id: 3, total: '250.00' }],
      view: [{ id: 2, name: 'Grace', total: '99.99' }, { id: 3, name: 'Zoë', total: '250.00' }],
    });
  });

  it('local clone copies the template with everything in it, not the changed working database', async () => {
    await query(restoredUri, "DELETE FROM orders; UPDATE customers SET name = 'changed'; CREATE TABLE scratch (x int)");
    const cloned = await runCli(['local', 'clone', 'worker_1'], { env });
    expect(cloned.code, cloned.stderr).toBe(0);
    const uri = cloned.stdout.trim();
    expect(new URL(uri).pathname).toBe('/worker_1');
    const copy = await pristine(uri);
    expect(copy).toEqual(await pristine(withDatabase(restoredUri, 'shop_template')));
    expect(copy.orders).toHaveLength(3);
    expect(await query(uri, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'scratch'")).toEqual([{ n: 0 }]);
    // The trigger fires, AUTO_INCREMENT goes on from the template's, the foreign key holds, the routine runs.
    await query(uri, 'INSERT INTO orders (customer_id, total) VALUES (1, 5)');
    expect(await query(uri, 'SELECT order_id, at FROM audit')).toEqual([{ order_id: 4, at: 'insert' }]);
    await expect(query(uri, 'INSERT INTO orders (customer_id, total) VALUES (99, 1)')).rejects.toThrow(/foreign key constraint fails/);
    expect(await query(uri, 'CALL count_orders(@n); SELECT @n AS n').then((sets) => (sets as unknown as Array<Array<{ n: number }>>)[1])).toEqual([{ n: 4 }]);
    // The copy's objects name the copy: its view reads worker_1's tables, not the template's.
    const [view] = await query<{ definition: string }>(uri, "SELECT VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'worker_1'");
    expect(view!.definition).not.toContain('shop_template');
  });

  it('local reset drops a database held by an open transaction and copies it again', async () => {
    const url = new URL(restoredUri);
    const held = await mysql.createConnection({ host: '127.0.0.1', port: Number(url.port), user: 'root', password: decodeURIComponent(url.password), database: 'shop' });
    held.on('error', () => undefined); // the reset kills this session
    await held.query('START TRANSACTION');
    await held.query('SELECT * FROM customers FOR UPDATE');
    const reset = await runCli(['local', 'reset', 'default', 'shop'], { env });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(restoredUri);
    expect(await pristine(restoredUri)).toEqual(await pristine(withDatabase(restoredUri, 'shop_template')));
    held.destroy();
  });

  it('local list shows the MySQL server with its databases, sizes and URIs; local drop removes a clone', async () => {
    const listed = await runCli(['local', 'list', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const [server] = JSON.parse(listed.stdout) as Array<{ engine: string; running: boolean; databases: Array<{ name: string; bytes: number; template: boolean; uri?: string }> }>;
    expect(server).toMatchObject({ engine: 'mysql', running: true });
    expect(server!.databases.map((d) => d.name)).toEqual(['shop', 'shop_template', 'worker_1']);
    for (const database of server!.databases) expect(database.bytes).toBeGreaterThan(0);
    expect(server!.databases.find((d) => d.name === 'worker_1')!.uri).toBe(withDatabase(restoredUri, 'worker_1'));
    expect(server!.databases.find((d) => d.name === 'shop_template')!.uri).toBeUndefined();

    const dropped = await runCli(['local', 'drop', 'worker_1'], { env });
    expect(dropped.code, dropped.stderr).toBe(0);
    expect((await query<{ name: string }>(restoredUri, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY 1', ['%shop%'])).map((r) => r.name)).toEqual(['shop', 'shop_template']);
    const template = await runCli(['local', 'drop', 'shop_template'], { env });
    expect(template.code).toBe(1);
    expect(template.stderr).toContain('pristine template');
  });

  it('a PostgreSQL dump restored under the running MySQL server\'s name is refused; the MySQL server is untouched', async () => {
    const pgConfig = join(root, 'pg.yaml');
    await writeFile(pgConfig, `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
    const script = 'CREATE TABLE public.t (id integer);\nCOPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n';
    const created = await runCli(['-c', pgConfig, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pg'], { input: script });
    expect(created.code, created.stderr).toBe(0);
    const refused = await runCli(['-c', pgConfig, 'dump', 'restore', 'local', '-v', 'pg', '--detach'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('holds a local MySQL server, not PostgreSQL');
    expect(await query(restoredUri, 'SELECT COUNT(*) AS n FROM customers')).toEqual([{ n: 3 }]);
  });

  it('Ctrl-C on a restore that stays up stops its server and removes its data', async () => {
    const running = startCli(['-c', config, 'dump', 'restore', 'local', '-v', 'shop', '--name', 'interrupted'], { env });
    await running.waitFor(/press Ctrl-C/, 180_000);
    const dataDir = join(root, 'servers', 'interrupted');
    const { pid } = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as { pid: number };
    expect(alive(pid)).toBe(true);
    running.child.kill('SIGINT');
    const exit = await running.exit(90_000);
    expect(exit.stderr).toContain('stopped and removed');
    expect(alive(pid)).toBe(false);
    await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
  }, TIMEOUT);

  it('local stop stops the detached server and removes its data directory', async () => {
    const dataDir = join(root, 'servers', 'default');
    const { pid } = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as { pid: number };
    const stopped = await runCli(['local', 'stop'], { env, timeoutMs: 90_000 });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/stopped the local MySQL default/);
    expect(alive(pid)).toBe(false);
    await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
  }, TIMEOUT);
});

describe('without a server binary', () => {
  it('names the package to install', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'replibyte-no-mysqld-'));
    try {
      await expect(findMysqlServer({ searchDirs: [empty] })).rejects.toThrow(/none is on PATH/);
      await expect(findMysqlServer({ searchDirs: [empty] })).rejects.toMatchObject({ hint: expect.stringContaining('apt install mariadb-server-core') });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('--server-binary that is not there is one clear error, and nothing is started', async () => {
    const refused = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'shop', '--name', 'nobinary', '--server-binary', join(root, 'no', 'mariadbd')], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--server-binary ${join(root, 'no', 'mariadbd')}: not an executable file`);
    await expect(stat(join(root, 'servers', 'nobinary'))).rejects.toThrow(/ENOENT/);
  });
});
