import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump, restoreToScript } from '../../../src/index.js';
import { listDumpContents } from '../../../src/operations/dump-restore.js';
import { RESTORE_EVERYTHING, type RestoreFilter } from '../../../src/restore-selection/restore-filter.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMEOUT = 120_000;

const SCHEMA = `
  CREATE TABLE customers (id int AUTO_INCREMENT PRIMARY KEY, email varchar(60) NOT NULL);
  CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer_id int NOT NULL, total int, KEY orders_total (total),
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id));
  CREATE TABLE order_lines (id int PRIMARY KEY, order_id int NOT NULL, CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id));
  CREATE TABLE audit_log (id int AUTO_INCREMENT PRIMARY KEY, what varchar(40));
  CREATE VIEW customer_emails AS SELECT email FROM customers;
  CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit_log (what) VALUES (CONCAT('order ', NEW.id));
  INSERT INTO customers (email) VALUES ('a@x.io'), ('b@x.io'), ('c@x.io');
  INSERT INTO orders (customer_id, total) VALUES (1, 10), (2, 20), (3, 30), (1, 40);
  INSERT INTO order_lines VALUES (1, 1), (2, 1), (3, 2), (4, 4);
`;

const filter = (overrides: Partial<RestoreFilter>): RestoreFilter => ({ ...RESTORE_EVERYTHING, ...overrides });

describe('restore modes on MySQL/MariaDB: --schema-only, --data-only, -t, --exclude-table, --list', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;
  const targets: MysqlTestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('modesrc'), createWorkspace()]);
    await source.sql(SCHEMA);
    await createDump(config(source.uri), { name: 'shop' });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((t) => t.drop())]);
  });

  function config(destination: string) {
    return workspace.config(`
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination}
`);
  }

  async function target(): Promise<MysqlTestDatabase> {
    const db = await createMysqlDatabase('modetarget');
    targets.push(db);
    return db;
  }

  const count = async (db: MysqlTestDatabase, table: string) => Number((await db.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  const tables = async (db: MysqlTestDatabase) =>
    (await db.sql<{ name: string }>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1')).map((r) => r.name).sort();

  it('--list gives the parts, tables and rows; with -t, what would be restored', { timeout: TIMEOUT }, async () => {
    const all = await listDumpContents(config(source.uri), 'shop');
    expect(Object.fromEntries(all.manifest.parts.filter((p) => p.kind === 'table-data').map((p) => [p.table, p.rows]))).toEqual({ customers: 3, orders: 4, order_lines: 4, audit_log: 4 });
    const some = await listDumpContents(config(source.uri), 'shop', filter({ include: ['customers'] }));
    expect(some.manifest.parts.filter((p) => p.kind === 'table-data').map((p) => p.table)).toEqual(['customers']);
    expect(some.manifest.totals.rows).toBe(3);
  });

  it('--schema-only restores tables, views and triggers without rows', { timeout: TIMEOUT }, async () => {
    const db = await target();
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ content: 'schema' }) });
    expect(await tables(db)).toEqual(['audit_log', 'customer_emails', 'customers', 'order_lines', 'orders']);
    for (const table of ['customers', 'orders', 'order_lines', 'audit_log']) expect(await count(db, table)).toBe(0);
    expect(await db.sql("SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()")).toEqual([{ name: 'orders_log' }]);
  });

  it('--data-only empties the tables first and loads the rows, keeping what is not in the dump', { timeout: TIMEOUT }, async () => {
    const db = await target();
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ content: 'schema' }) });
    await db.sql("INSERT INTO customers VALUES (99, 'stale@x.io'); CREATE TABLE local_only (a int); INSERT INTO local_only VALUES (1)");
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ content: 'data', exclude: ['audit_log'] }) });
    expect(await db.sql('SELECT id FROM customers ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(await count(db, 'order_lines')).toBe(4);
    expect(await db.sql('SELECT a FROM local_only')).toEqual([{ a: 1 }]);
    // AUTO_INCREMENT follows the loaded ids.
    await db.sql("INSERT INTO customers (email) VALUES ('new@x.io')");
    expect(await db.sql("SELECT id FROM customers WHERE email = 'new@x.io'")).toEqual([{ id: 4 }]);
    // MySQL cannot turn triggers off: loading orders logged each one (README says so).
    expect(await count(db, "audit_log WHERE what LIKE 'order %'")).toBe(4);
  });

  it('--data-only refuses to empty a table others reference unless --no-foreign-keys-check, which empties them too and says so', { timeout: TIMEOUT }, async () => {
    const db = await target();
    await restoreDump(config(db.uri), { value: 'shop' });
    const refused = await restoreDump(config(db.uri), { value: 'shop', filter: filter({ content: 'data', include: ['customers'] }) }).catch((e: Error) => e);
    expect((refused as Error).message).toContain('tables outside this restore reference them: orders (references customers), order_lines (references orders)');
    expect((refused as Error).message).toContain('nothing was changed');
    expect(await count(db, 'orders')).toBe(4);
    const reporter = new CollectingReporter();
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ content: 'data', include: ['customers'], foreignKeysCheck: false }), reporter });
    expect(await count(db, 'customers')).toBe(3);
    expect(await count(db, 'orders')).toBe(0);
    expect(await count(db, 'order_lines')).toBe(0);
    expect(reporter.lines.join('\n')).toContain('also emptied, as TRUNCATE … CASCADE would: orders (references customers), order_lines (references orders)');
  });

  it('-t keeps some tables and refuses one that references a table left out; --exclude-table leaves out its view', { timeout: TIMEOUT }, async () => {
    const db = await target();
    const refused = await restoreDump(config(db.uri), { value: 'shop', filter: filter({ include: ['order*'] }) }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/tables this restore keeps reference tables it leaves out \(foreign keys\): \S+\.orders → \S+\.customers; nothing was changed/);
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ include: ['order*', 'customers'] }) });
    expect(await tables(db)).toEqual(['customer_emails', 'customers', 'order_lines', 'orders']);
    expect(await count(db, 'order_lines')).toBe(4);
    const reporter = new CollectingReporter();
    await restoreDump(config(db.uri), { value: 'shop', filter: filter({ exclude: ['customers', 'order*'] }), reporter });
    expect(await tables(db)).toEqual(['audit_log']);
    expect(reporter.lines.join('\n')).toContain('customer_emails left out: it reads');
  });

  it('-o honours the filters', { timeout: TIMEOUT }, async () => {
    const output = new PassThrough();
    const pieces: Buffer[] = [];
    output.on('data', (piece: Buffer) => pieces.push(piece));
    await restoreToScript(config(source.uri), { value: 'shop', output, filter: filter({ include: ['audit_log'] }) });
    const script = Buffer.concat(pieces).toString('utf8');
    const db = await target();
    const loaded = db.client(script);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(await tables(db)).toEqual(['audit_log']);
    expect(await count(db, 'audit_log')).toBe(4);
  });
});
