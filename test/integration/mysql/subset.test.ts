import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { mysqlRowCounts } from '../../support/mysql-compare.js';
import { checkMysqlForeignKeys } from '../../support/mysql-foreign-keys.js';
import { createMysqlDatabase, loadMysqlFixture, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { sampleBound } from '../../../src/subset/plan.js';

/** The sampling rule of decision 0040 in MySQL's SQL: the first 64 bits of md5(seed:key), unsigned, under the percent's share of 2^64. */
const sampledOrders = (seed: string, percent: number) =>
  `SELECT id FROM orders WHERE CAST(CONV(LEFT(MD5(CONCAT_WS(':', '${seed}', id)), 16), 16, 10) AS UNSIGNED) < ${sampleBound(percent)} ORDER BY id`;

/** The coupon relation lives only in orders.meta (JSON): a virtual foreign key. */
const VIRTUAL_COUPON = `
    virtual_foreign_keys:
      - table: orders
        columns: [{ expression: "CAST(JSON_VALUE(meta, '$.coupon_id') AS UNSIGNED)" }]
        referenced_table: coupons
        referenced_columns: [id]`;

interface Restored {
  db: MysqlTestDatabase;
  lines: string[];
  counts: Record<string, number>;
}

describe('database_subset on MySQL/MariaDB', () => {
  let shop: MysqlTestDatabase;
  let workspace: Workspace;
  let foreignKeys: number;
  const destinations: MysqlTestDatabase[] = [];
  let dumps = 0;

  beforeAll(async () => {
    [shop, workspace] = await Promise.all([createMysqlDatabase('shop'), createWorkspace()]);
    await loadMysqlFixture(shop, 'subset-shop.sql');
    foreignKeys = (await checkMysqlForeignKeys(shop)).length;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([shop?.drop(), workspace?.remove(), ...destinations.map((d) => d.drop())]);
  });

  /** dump create with the given `source:` body, then restore into a fresh database. */
  async function subsetAndRestore(sourceYaml: string): Promise<Restored> {
    const db = await createMysqlDatabase('subset_dst');
    destinations.push(db);
    const config = workspace.config(`
salt: subset-test-salt
source:
  connection_uri: ${shop.uri}
${sourceYaml}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${db.uri}
`);
    const reporter = new CollectingReporter();
    const name = `subset-${++dumps}`;
    await createDump(config, { name, reporter });
    await restoreDump(config, { value: name });
    return { db, lines: reporter.lines, counts: await mysqlRowCounts(db) };
  }

  async function count(db: MysqlTestDatabase, query: string, values?: unknown[]): Promise<number> {
    return Number((await db.sql<{ n: number }>(query, values))[0]!.n);
  }

  async function ids(db: MysqlTestDatabase, query: string): Promise<string[]> {
    return (await db.sql<{ id: string | number }>(query)).map((row) => String(row.id));
  }

  /** Every constraint of the source is there, and (rows being loaded without FK checks) every one holds. */
  async function expectEveryForeignKeyHolds(db: MysqlTestDatabase): Promise<void> {
    const checks = await checkMysqlForeignKeys(db);
    expect(checks).toHaveLength(foreignKeys);
    expect(foreignKeys).toBe(14);
    for (const check of checks) expect(check, `${check.table} ${check.constraint}`).toMatchObject({ orphans: 0 });
  }

  const randomOrders = (seed: string, extra = '') => `
  database_subset:
    database: ${shop.name}
    table: orders
    strategy_name: random
    strategy_options: { percent: 10, seed: ${seed} }
    passthrough_tables: [currencies]${VIRTUAL_COUPON}${extra}`;

  let alpha: Restored;

  let alphaCount: number;

  it('random 10% of orders: about 200 orders, every row they reference (transitively), every foreign key valid', async () => {
    alpha = await subsetAndRestore(randomOrders('alpha'));
    const { db, counts, lines } = alpha;
    const label = (table: string) => `${shop.name}.${table}`;
    // The rule of decision 0040, written out: the first 64 bits of md5(seed:key) under 10% of 2^64.
    alphaCount = (await ids(shop, sampledOrders('alpha', 10))).length;
    expect(counts.orders).toBe(alphaCount);
    expect(alphaCount).toBeGreaterThan(150);
    expect(alphaCount).toBeLessThan(250);
    expect(await ids(db, 'SELECT id FROM orders ORDER BY id')).toEqual(await ids(shop, sampledOrders('alpha', 10)));
    await expectEveryForeignKeyHolds(db);

    // Exactly the customers the kept orders reference: parents are pulled in, nothing more.
    expect(counts.customers).toBe(await count(db, 'SELECT COUNT(DISTINCT customer_id) AS n FROM orders'));
    // The composite key (country, region), the employees' chain up to the CEO (self-reference) and the
    // department cycle (departments.head_id → employees → departments) all resolve: checked above; the
    // CEO is there because every chain of managers ends at him.
    expect(await ids(db, 'SELECT id FROM employees WHERE manager_id IS NULL')).toEqual(['1']);
    expect(counts.departments).toBeGreaterThan(0);
    expect(counts.regions).toBeGreaterThan(0);
    expect(counts.regions).toBe(await count(db, 'SELECT COUNT(DISTINCT country, region) AS n FROM customers'));
    // Passthrough: every currency, even the one no order uses.
    expect(counts.currencies).toBe(4);
    // The virtual foreign key is followed: the coupons named in orders.meta, and only those.
    const coupons = await count(db, `SELECT COUNT(DISTINCT JSON_VALUE(meta, '$.coupon_id')) AS n FROM orders`);
    expect(coupons).toBeGreaterThan(0);
    expect(counts.coupons).toBe(coupons);
    // Children are not followed unless asked: tables not reached keep their schema, without rows.
    for (const table of ['order_items', 'shipments', 'order_tags', 'tags', 'order_notes', 'products']) {
      expect(counts[table], table).toBe(0);
    }
    expect(lines).toContain(`  ${label('orders')}: ${alphaCount} of 2000 rows kept (start)`);
    expect(lines).toContain(`  ${label('currencies')}: 4 of 4 rows kept (passthrough)`);
    expect(lines).toContain(`  ${label('order_items')}: 0 of 5000 rows kept (not reached)`);
    expect(lines).toContain(`  ${label('customers')}: ${counts.customers} of 500 rows kept`);
    expect(lines).toContain(`  ${label('employees')}: ${counts.employees} of 120 rows kept`);
  });

  it('the same seed keeps the same orders; another seed keeps about another 200', async () => {
    const again = await subsetAndRestore(randomOrders('alpha'));
    const other = await subsetAndRestore(randomOrders('beta'));
    const alphaIds = await ids(alpha.db, 'SELECT id FROM orders ORDER BY id');
    expect(await ids(again.db, 'SELECT id FROM orders ORDER BY id')).toEqual(alphaIds);
    expect(await ids(again.db, 'SELECT id FROM employees ORDER BY id')).toEqual(await ids(alpha.db, 'SELECT id FROM employees ORDER BY id'));
    const betaIds = await ids(other.db, 'SELECT id FROM orders ORDER BY id');
    expect(betaIds).toEqual(await ids(shop, sampledOrders('beta', 10)));
    // Two independent 10% samples share about 10% of their rows: far from all of them.
    expect(betaIds.filter((id) => alphaIds.includes(id)).length).toBeLessThan(60);
    // A real random sample, not every Nth row: the kept ids are not evenly spaced.
    const gaps = new Set(alphaIds.map(Number).slice(1).map((id, i) => id - Number(alphaIds[i])));
    expect(gaps.size).toBeGreaterThan(10);
    await expectEveryForeignKeyHolds(other.db);
  });

  it('where + children with a limit per parent: each kept customer brings up to 2 orders, each order up to 2 of each child', async () => {
    const { db, counts } = await subsetAndRestore(`
  database_subset:
    database: ${shop.name}
    table: customers
    strategy_name: where
    strategy_options: { condition: "id <= 30 AND country = 'FR'" }
    include_children: { limit_per_parent: 2 }`);
    await expectEveryForeignKeyHolds(db);
    // Exactly the matching rows: parents of customers are other tables (no customer is pulled in as a parent).
    expect(counts.customers).toBe(await count(shop, "SELECT COUNT(*) AS n FROM customers WHERE id <= 30 AND country = 'FR'"));
    expect(await ids(db, 'SELECT id FROM customers ORDER BY id')).toEqual(await ids(shop, "SELECT id FROM customers WHERE id <= 30 AND country = 'FR' ORDER BY id"));

    // min(2, orders of the customer) for every kept customer.
    const expectedOrders = await shop.sql(
      `SELECT c.id, LEAST(2, COUNT(o.id)) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
       WHERE c.id <= 30 AND c.country = 'FR' GROUP BY c.id ORDER BY c.id`,
    );
    const keptOrders = await db.sql('SELECT c.id, COUNT(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id');
    expect(keptOrders.map((r) => [String(r.id), Number(r.n)])).toEqual(expectedOrders.map((r) => [String(r.id), Number(r.n)]));
    expect(counts.orders).toBeGreaterThan(0);

    // Grandchildren through a composite primary key, a many-to-many join table and a table without a
    // primary key: at most 2 per order, and as many as the source has when it has fewer.
    const orderIds = await ids(db, 'SELECT id FROM orders ORDER BY id');
    for (const table of ['order_items', 'order_tags', 'order_notes']) {
      const perOrder = await db.sql(`SELECT o.id, COUNT(x.order_id) AS n FROM orders o LEFT JOIN ${table} x ON x.order_id = o.id GROUP BY o.id ORDER BY o.id`);
      const expected = await shop.sql(
        `SELECT o.id, LEAST(2, COUNT(x.order_id)) AS n FROM orders o LEFT JOIN ${table} x ON x.order_id = o.id
         WHERE o.id IN (?) GROUP BY o.id ORDER BY o.id`,
        [orderIds],
      );
      expect(perOrder.map((r) => [String(r.id), Number(r.n)]), table).toEqual(expected.map((r) => [String(r.id), Number(r.n)]));
    }
    // Children of children of children: the shipments of the kept first lines.
    expect(counts.shipments).toBeGreaterThan(0);
    // Parents of the children are there too (products of the items, tags of the join rows).
    expect(counts.products).toBeGreaterThan(0);
    expect(counts.tags).toBeGreaterThan(0);
  });

  it('subset and deterministic transformers on a primary key and its foreign key: the rows still join', async () => {
    const { db, counts } = await subsetAndRestore(`
  transformers:
    - database: ${shop.name}
      table: customers
      columns:
        - { name: id, transformer_name: random }
        - { name: email, transformer_name: email }
    - database: ${shop.name}
      table: orders
      columns:
        - { name: customer_id, transformer_name: random }
${randomOrders('alpha')}`);
    expect(counts.orders).toBe(alphaCount);
    await expectEveryForeignKeyHolds(db);
    expect(await count(db, 'SELECT COUNT(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id')).toBe(alphaCount);
    // And the keys really were transformed.
    const before = new Set(await ids(alpha.db, 'SELECT id FROM customers'));
    const after = await ids(db, 'SELECT id FROM customers');
    expect(after).toHaveLength(before.size);
    expect(after.filter((id) => before.has(id))).toHaveLength(0);
  });

  it('dump create (the CLI) reports, per table, the rows kept out of the rows there are', async () => {
    const configPath = await workspace.writeConfig(`
source:
  connection_uri: ${shop.uri}
${randomOrders('alpha')}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', 'subset-cli']);
    expect(result.code, result.stderr).toBe(0);
    const label = (table: string) => `${shop.name}.${table}`;
    expect(result.stderr).toMatch(new RegExp(`^subset from ${label('orders')} \\(random 10% \\(seed alpha\\)\\): \\d+ round\\(s\\)`, 'm'));
    expect(result.stderr).toContain(`  ${label('orders')}: ${alphaCount} of 2000 rows kept (start)\n`);
    expect(result.stderr).toContain(`  ${label('customers')}: ${alpha.counts.customers} of 500 rows kept\n`);
    expect(result.stderr).toContain(`  ${label('tags')}: 0 of 12 rows kept (not reached)\n`);
    expect(result.stderr).toContain(`  ${label('currencies')}: 4 of 4 rows kept (passthrough)\n`);
  });

  it('walks in the dump snapshot: a row committed meanwhile is not kept', async () => {
    // The where condition sleeps once (an uncorrelated subquery), after the snapshot was taken; meanwhile
    // another session adds an order for a kept customer. (A walk written as INSERT … SELECT would see it:
    // InnoDB reads the SELECT of an INSERT … SELECT with locks, from the latest rows, not the snapshot.)
    const config = workspace.config(`
source:
  connection_uri: ${shop.uri}
  database_subset:
    database: ${shop.name}
    table: customers
    strategy_name: where
    strategy_options: { condition: "id <= 3 AND (SELECT SLEEP(2)) = 0" }
    include_children: { limit_per_parent: 100 }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const reporter = new CollectingReporter();
    const dump = createDump(config, { name: `snapshot-${++dumps}`, reporter });
    const other = await mysql.createConnection({ uri: shop.uri });
    try {
      let sleeping = false;
      for (let i = 0; i < 200 && !sleeping; i += 1) {
        const [rows] = await other.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(2)%' AND INFO NOT LIKE '%PROCESSLIST%'");
        sleeping = Number(rows[0]!.n) > 0;
        if (!sleeping) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(sleeping).toBe(true);
      await other.query(`INSERT INTO orders VALUES (90001, 1, NULL, 'EUR', '{}', '2024-09-01 00:00:00')`);
      const before = await count(shop, 'SELECT COUNT(*) AS n FROM orders WHERE customer_id <= 3');
      await dump;
      const kept = Number(/\.orders: (\d+) of (\d+) rows kept/.exec(reporter.lines.join('\n'))?.[1]);
      // The walk saw the snapshot: the new order is neither counted nor (the report says so) kept.
      expect(kept).toBe(before - 1);
      const total = Number(/\.orders: \d+ of (\d+) rows kept/.exec(reporter.lines.join('\n'))?.[1]);
      expect(total).toBe(2000);
    } finally {
      await other.query('DELETE FROM orders WHERE id = 90001');
      await other.end();
    }
  });

  it('runs a where condition in a read-only transaction: it can neither write nor smuggle a second statement', async () => {
    await shop.sql(`CREATE FUNCTION sneaky_delete() RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM coupons; RETURN 1; END`);
    try {
      const attempt = async (condition: string) => {
        const config = workspace.config(`
source:
  connection_uri: ${shop.uri}
  database_subset: { database: ${shop.name}, table: orders, strategy_name: where, strategy_options: { condition: ${JSON.stringify(condition)} } }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
        return createDump(config, { name: `sneaky-${++dumps}` }).then(() => undefined, (e: Error) => e.message);
      };
      expect(await attempt('sneaky_delete() = 1')).toMatch(/strategy where on .*orders.*READ ONLY transaction/);
      expect(await attempt('true; DELETE FROM coupons')).toMatch(/SQL syntax/);
      expect(await count(shop, 'SELECT COUNT(*) AS n FROM coupons')).toBe(50);
    } finally {
      await shop.sql('DROP FUNCTION sneaky_delete');
    }
  });

  it('targets: the single-table form and the same target in a list keep the same rows for the same seed', async () => {
    const listed = await subsetAndRestore(`
  database_subset:
    database: ${shop.name}
    targets: [{ table: orders, percent: 10, seed: alpha }]
    passthrough_tables: [currencies]${VIRTUAL_COUPON}`);
    expect(await ids(listed.db, 'SELECT id FROM orders ORDER BY id')).toEqual(await ids(alpha.db, 'SELECT id FROM orders ORDER BY id'));
    expect(listed.counts).toEqual(alpha.counts);
  });

  it('several targets (percent, where, limit + order_by, include) with children and max_rows, on a schema with cycles: every foreign key holds', async () => {
    const { db, counts, lines } = await subsetAndRestore(`
  database_subset:
    database: ${shop.name}
    targets:
      - { table: orders, percent: 5, seed: gamma }
      - { table: customers, where: "id <= 10" }
      - { table: employees, limit: 3, order_by: "id DESC" }
    include: ['orders:id=1,2']
    max_rows: { order_items: 40, customers: 12 }
    include_children: { limit_per_parent: 3 }
    passthrough_tables: [currencies]${VIRTUAL_COUPON}`);
    await expectEveryForeignKeyHolds(db);
    const orders = new Set(await ids(db, 'SELECT id FROM orders'));
    expect(orders.has('1') && orders.has('2')).toBe(true);
    expect(await count(db, 'SELECT COUNT(*) AS n FROM customers WHERE id <= 10')).toBe(10);
    expect(await ids(db, 'SELECT id FROM employees WHERE id > 117 ORDER BY id')).toEqual(['118', '119', '120']);
    expect(counts.order_items).toBe(40);
    expect(lines).toContain(`  ${shop.name}.order_items: 40 of 5000 rows kept (max_rows 40)`);
    // The 100 sampled orders need far more than 12 customers: all kept, and said.
    expect(counts.customers).toBe(await count(db, 'SELECT COUNT(DISTINCT id) AS n FROM customers'));
    expect(counts.customers).toBeGreaterThan(12);
    expect(lines.some((line) => line.startsWith(`warning: subset: ${shop.name}.customers keeps ${counts.customers} rows, over its max_rows 12`))).toBe(true);
  });
});
