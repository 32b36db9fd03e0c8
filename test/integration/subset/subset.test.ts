import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { rowCounts } from '../../support/compare.js';
import { loadFixture } from '../../support/fixtures.js';
import { checkForeignKeys } from '../../support/foreign-keys.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { sampleSeed, sampleThreshold } from '../../../src/subset/postgres/postgres-subset.js';

/** The sampling rule of decision 0040, written out: an order is kept when its key's seeded hash is under the percent's share. */
const sampledOrders = (seed: string, percent: number) =>
  `SELECT id FROM orders WHERE hashtextextended(id::text, ${sampleSeed(seed)}) < ${sampleThreshold(percent)} ORDER BY id`;

/** The shop's subset settings shared by most cases: the coupon relation lives only in orders.meta. */
const VIRTUAL_COUPON = `
    virtual_foreign_keys:
      - table: orders
        columns: [{ expression: "(meta->>'coupon_id')::integer" }]
        referenced_table: coupons
        referenced_columns: [id]`;

interface Restored {
  db: TestDatabase;
  lines: string[];
  counts: Record<string, number>;
}

describe('database_subset on PostgreSQL', () => {
  let shop: TestDatabase;
  let kitchen: TestDatabase;
  let workspace: Workspace;
  const destinations: TestDatabase[] = [];
  let dumps = 0;

  beforeAll(async () => {
    [shop, kitchen, workspace] = await Promise.all([createTestDatabase('shop'), createTestDatabase('ks'), createWorkspace()]);
    await Promise.all([loadFixture(shop, 'subset-shop.sql'), loadFixture(kitchen, 'kitchen-sink.sql')]);
  });

  afterAll(async () => {
    await Promise.all([shop?.drop(), kitchen?.drop(), workspace?.remove(), ...destinations.map((d) => d.drop())]);
  });

  /** dump create with the given `source:` body, then restore into a fresh database (constraints after the data). */
  async function subsetAndRestore(source: TestDatabase, sourceYaml: string): Promise<Restored> {
    const db = await createTestDatabase('subset_dst');
    destinations.push(db);
    const config = workspace.config(`
salt: subset-test-salt
source:
  connection_uri: ${source.uri}
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
    return { db, lines: reporter.lines, counts: await rowCounts(db) };
  }

  async function count(db: TestDatabase, query: string): Promise<number> {
    return Number((await db.sql<{ n: string }>(query))[0]!.n);
  }

  async function ids(db: TestDatabase, query: string): Promise<string[]> {
    return (await db.sql<{ id: string }>(query)).map((row) => String(row.id));
  }

  async function expectEveryForeignKeyHolds(db: TestDatabase): Promise<void> {
    const checks = await checkForeignKeys(db);
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      expect(check, `${check.table} ${check.constraint}`).toMatchObject({ validated: true, orphans: 0 });
    }
  }

  const randomOrders = (seed: string, extra = '') => `
  database_subset:
    database: public
    table: orders
    strategy_name: random
    strategy_options: { percent: 10, seed: ${seed} }
    passthrough_tables: [currencies]${VIRTUAL_COUPON}${extra}`;

  let alpha: Restored;

  let alphaCount: number;

  it('random 10% of orders: about 200 orders, every row they reference (transitively), every foreign key valid', async () => {
    alpha = await subsetAndRestore(shop, randomOrders('alpha'));
    const { db, counts, lines } = alpha;
    alphaCount = (await ids(shop, sampledOrders('alpha', 10))).length;
    expect(counts['public.orders']).toBe(alphaCount);
    // 10% of 2000 rows, give or take the sample's spread (its standard deviation is about 13 rows).
    expect(alphaCount).toBeGreaterThan(150);
    expect(alphaCount).toBeLessThan(250);
    await expectEveryForeignKeyHolds(db);

    // Exactly the customers the kept orders reference: parents are pulled in, nothing more.
    expect(counts['public.customers']).toBe(await count(db, 'SELECT count(DISTINCT customer_id) AS n FROM orders'));
    // The composite key (country, region) and the employees' chain up to the CEO (self-reference), and
    // the department cycle (departments.head_id → employees → departments) all resolve: checked above;
    // the CEO is there because every chain of managers ends at him.
    expect(await ids(db, 'SELECT id FROM employees WHERE manager_id IS NULL')).toEqual(['1']);
    expect(counts['public.departments']).toBeGreaterThan(0);
    expect(counts['public.regions']).toBeGreaterThan(0);
    // Passthrough: every currency, even the one no order uses.
    expect(counts['public.currencies']).toBe(4);
    // The virtual foreign key is followed: the coupons named in orders.meta, and only those.
    const coupons = await count(db, `SELECT count(DISTINCT (meta->>'coupon_id')::int) AS n FROM orders`);
    expect(coupons).toBeGreaterThan(0);
    expect(counts['public.coupons']).toBe(coupons);
    // Children are not followed unless asked: tables not reached keep their schema, without rows.
    for (const table of ['order_items', 'shipments', 'order_tags', 'tags', 'order_notes', 'products']) {
      expect(counts[`public.${table}`], table).toBe(0);
    }
    expect(lines).toContain(`  public.orders: ${alphaCount} of 2000 rows kept (start)`);
    expect(lines).toContain('  public.currencies: 4 of 4 rows kept (passthrough)');
    expect(lines).toContain('  public.order_items: 0 of 5000 rows kept (not reached)');
    expect(lines).toContain(`  public.customers: ${counts['public.customers']} of 500 rows kept`);
  });

  it('the same seed keeps the same orders; another seed keeps about another 200', async () => {
    const again = await subsetAndRestore(shop, randomOrders('alpha'));
    const other = await subsetAndRestore(shop, randomOrders('beta'));
    const alphaIds = await ids(alpha.db, 'SELECT id FROM orders ORDER BY id');
    expect(await ids(again.db, 'SELECT id FROM orders ORDER BY id')).toEqual(alphaIds);
    // The sampling rule of decision 0040: the seeded hash of the key's text form under 10% of its range.
    expect(alphaIds).toEqual(await ids(shop, sampledOrders('alpha', 10)));
    const betaIds = await ids(other.db, 'SELECT id FROM orders ORDER BY id');
    expect(betaIds).toEqual(await ids(shop, sampledOrders('beta', 10)));
    const shared = betaIds.filter((id) => alphaIds.includes(id)).length;
    // Two independent 10% samples share about 10% of their rows: far from all of them.
    expect(shared).toBeLessThan(60);
    // A real random sample, not every Nth row: the kept ids are not evenly spaced.
    const gaps = new Set(alphaIds.map(Number).slice(1).map((id, i) => id - Number(alphaIds[i])));
    expect(gaps.size).toBeGreaterThan(10);
    await expectEveryForeignKeyHolds(other.db);
  });

  it('where + children with a limit per parent: each kept customer brings up to 2 orders, each order up to 2 of each child', async () => {
    const { db, counts } = await subsetAndRestore(shop, `
  database_subset:
    database: public
    table: customers
    strategy_name: where
    strategy_options: { condition: "id <= 30 AND country = 'FR'" }
    include_children: { limit_per_parent: 2 }`);
    await expectEveryForeignKeyHolds(db);
    expect(counts['public.customers']).toBe(await count(shop, "SELECT count(*) AS n FROM customers WHERE id <= 30 AND country = 'FR'"));

    // min(2, orders of the customer) for every kept customer.
    const expectedOrders = await shop.sql<{ id: string; n: string }>(
      `SELECT c.id, least(2, count(o.id)) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
       WHERE c.id <= 30 AND c.country = 'FR' GROUP BY c.id ORDER BY c.id`,
    );
    const keptOrders = await db.sql<{ id: string; n: string }>(
      'SELECT c.id, count(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id',
    );
    expect(keptOrders).toEqual(expectedOrders);
    expect(counts['public.orders']).toBeGreaterThan(0);

    // Grandchildren through a composite primary key, a many-to-many join table and a table without a
    // primary key: at most 2 per order, and as many as the source has when it has fewer.
    for (const table of ['order_items', 'order_tags', 'order_notes']) {
      const perOrder = await db.sql<{ id: string; n: string }>(
        `SELECT o.id, count(x.order_id) AS n FROM orders o LEFT JOIN ${table} x ON x.order_id = o.id GROUP BY o.id ORDER BY o.id`,
      );
      const orderIds = perOrder.map((row) => row.id);
      const expected = await shop.sql<{ id: string; n: string }>(
        `SELECT o.id, least(2, count(x.order_id)) AS n FROM orders o LEFT JOIN ${table} x ON x.order_id = o.id
         WHERE o.id = ANY($1::bigint[]) GROUP BY o.id ORDER BY o.id`,
        [orderIds],
      );
      expect(perOrder, table).toEqual(expected);
    }
    // Children of children of children: the shipments of the kept first lines.
    expect(counts['public.shipments']).toBeGreaterThan(0);
    // Parents of the children are there too (products of the items, tags of the join rows).
    expect(counts['public.products']).toBeGreaterThan(0);
    expect(counts['public.tags']).toBeGreaterThan(0);
  });

  it('subset and deterministic transformers on a primary key and its foreign key: the rows still join', async () => {
    const { db, counts } = await subsetAndRestore(shop, `
  transformers:
    - database: public
      table: customers
      columns:
        - { name: id, transformer_name: random }
        - { name: email, transformer_name: email }
    - database: public
      table: orders
      columns:
        - { name: customer_id, transformer_name: random }
${randomOrders('alpha')}`);
    expect(counts['public.orders']).toBe(alphaCount);
    // orders_customer_id_fkey was created after the rows: a transformed key that did not join would
    // have failed the restore; the independent orphan count says the same.
    await expectEveryForeignKeyHolds(db);
    expect(await count(db, 'SELECT count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id')).toBe(alphaCount);
    // And the keys really were transformed.
    const before = new Set(await ids(alpha.db, 'SELECT id FROM customers'));
    const after = await ids(db, 'SELECT id FROM customers');
    expect(after).toHaveLength(before.size);
    expect(after.filter((id) => before.has(id))).toHaveLength(0);
  });

  it('the kitchen-sink schema: where on customers with children, a partitioned passthrough table, schemas across', async () => {
    const { db, counts, lines } = await subsetAndRestore(kitchen, `
  database_subset:
    database: public
    table: customers
    strategy_name: where
    strategy_options: { condition: "id % 10 = 0" }
    passthrough_tables: [events]
    include_children: { enabled: true, limit_per_parent: 1 }`);
    await expectEveryForeignKeyHolds(db);
    expect(counts['public.customers']).toBe(60);
    // One invoice per customer (each has 1 or 2), one line per invoice (each has 2), in another schema,
    // through a composite foreign key.
    expect(counts['billing.invoices']).toBe(60);
    expect(counts['billing.invoice_lines']).toBe(60);
    // A partitioned table passed through: all rows of every partition.
    expect(counts['public.events_2023']! + counts['public.events_2024']!).toBe(800);
    // Not reached: schema only.
    expect(counts['public.employees']).toBe(0);
    expect(counts['public.audit_log']).toBe(0);
    expect(counts['"Odd Schema"."Mixed ""Case"" Table"']).toBe(0);
    expect(lines).toContain('  public.events: 800 of 800 rows kept (passthrough)');
  });

  it('keys of every shape: a text key with its own collation, a partitioned table reached by the walk, a table without a primary key', async () => {
    const odd = await createTestDatabase('subset_keys');
    destinations.push(odd);
    await odd.sql(`
      CREATE TABLE tenants (code text COLLATE "C" PRIMARY KEY, name text);
      INSERT INTO tenants SELECT 't' || g, 'Tenant ' || g FROM generate_series(1, 40) g;
      CREATE TABLE visits (id bigint, at date, tenant text COLLATE "C" NOT NULL REFERENCES tenants, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE visits_2023 PARTITION OF visits FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
      CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      INSERT INTO visits SELECT g, date '2023-06-01' + (g % 400), 't' || (1 + g % 40) FROM generate_series(1, 800) g;
      CREATE TABLE notes (visit_id bigint, visit_at date, body text, FOREIGN KEY (visit_id, visit_at) REFERENCES visits);
      INSERT INTO notes SELECT id, at, 'note ' || id FROM visits WHERE id % 2 = 0;
      INSERT INTO notes SELECT id, at, 'again ' || id FROM visits WHERE id % 4 = 0;`);
    const { db, counts } = await subsetAndRestore(odd, `
  database_subset:
    database: public
    table: tenants
    strategy_name: where
    strategy_options: { condition: "code IN ('t1', 't2', 't3', 't4')" }
    include_children: { enabled: true, limit_per_parent: 1000 }`);
    await expectEveryForeignKeyHolds(db);
    expect(counts['public.tenants']).toBe(4);
    const visits = await count(odd, "SELECT count(*) AS n FROM visits WHERE tenant IN ('t1', 't2', 't3', 't4')");
    expect(visits).toBe(80);
    expect(counts['public.visits_2023']! + counts['public.visits_2024']!).toBe(visits);
    // Both notes of a visit with id % 4 = 0 are kept: rows without a primary key are told apart by their place.
    expect(counts['public.notes']).toBe(await count(odd, "SELECT count(*) AS n FROM notes n JOIN visits v ON (v.id, v.at) = (n.visit_id, n.visit_at) WHERE v.tenant IN ('t1', 't2', 't3', 't4')"));
    expect(counts['public.notes']).toBeGreaterThan(40);
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
    expect(result.stderr).toMatch(/^subset from public\.orders \(random 10% \(seed alpha\)\): \d+ round\(s\)/m);
    expect(result.stderr).toContain(`  public.orders: ${alphaCount} of 2000 rows kept (start)\n`);
    expect(result.stderr).toContain(`  public.customers: ${alpha.counts['public.customers']} of 500 rows kept\n`);
    expect(result.stderr).toContain('  public.tags: 0 of 12 rows kept (not reached)\n');
    expect(result.stderr).toContain('  public.currencies: 4 of 4 rows kept (passthrough)\n');
  });

  it('runs a where condition in a read-only transaction: it can neither write nor smuggle a second statement', async () => {
    await shop.sql(`CREATE FUNCTION public.sneaky_delete() RETURNS boolean LANGUAGE sql AS 'DELETE FROM public.coupons RETURNING true'`);
    try {
      const attempt = async (condition: string) => {
        const config = workspace.config(`
source:
  connection_uri: ${shop.uri}
  database_subset: { database: public, table: orders, strategy_name: where, strategy_options: { condition: ${JSON.stringify(condition)} } }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
        return createDump(config, { name: `sneaky-${++dumps}` }).then(() => undefined, (e: Error) => e.message);
      };
      expect(await attempt('public.sneaky_delete()')).toMatch(/strategy where on public\.orders.*read-only transaction/);
      const smuggled = "true); DROP TABLE public.coupons; INSERT INTO public.coupons SELECT 0, 'x' WHERE (true";
      expect(await attempt(smuggled)).toMatch(/cannot insert multiple commands/);
      expect(await count(shop, 'SELECT count(*) AS n FROM coupons')).toBe(50);
    } finally {
      await shop.sql('DROP FUNCTION public.sneaky_delete()');
    }
  });

  it('refuses a subset config that does not match the source, naming every problem', async () => {
    const config = workspace.config(`
source:
  connection_uri: ${shop.uri}
  database_subset:
    database: public
    table: orderz
    strategy_name: random
    strategy_options: { pct: 10 }
    passthrough_tables: [nope]
    virtual_foreign_keys:
      - { table: orders, columns: [nope_id], referenced_table: coupons, referenced_columns: [id] }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const error = await createDump(config, { name: 'refused' }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/database_subset\.table: no table public\.orderz/);
    expect(error?.message).toMatch(/strategy_options\.percent/);
    expect(error?.message).toMatch(/passthrough_tables\[0\]: no table public\.nope/);
    expect(error?.message).toMatch(/virtual_foreign_keys\[0\]\.columns\[0\]: no column nope_id in public\.orders/);
  });

  it('targets: the single-table form and the same target in a list keep the same rows for the same seed', async () => {
    const listed = await subsetAndRestore(shop, `
  database_subset:
    database: public
    targets:
      - { table: orders, percent: 10, seed: alpha }
    passthrough_tables: [currencies]${VIRTUAL_COUPON}`);
    expect(await ids(listed.db, 'SELECT id FROM orders ORDER BY id')).toEqual(await ids(alpha.db, 'SELECT id FROM orders ORDER BY id'));
    expect(listed.counts).toEqual(alpha.counts);
  });

  it('several targets (percent, where, limit + order_by, include) with children and a max_rows, on a schema with cycles: every foreign key holds', async () => {
    const { db, counts, lines } = await subsetAndRestore(shop, `
  database_subset:
    database: public
    targets:
      - { table: orders, percent: 5, seed: gamma }
      - { table: customers, where: "id <= 10" }
      - { table: employees, limit: 3, order_by: "id DESC" }
      - { database: public, table: departments, limit: 1 }
    include: ['public.orders:id=1,2', 'orders:id=3']
    max_rows: { order_items: 40, public.order_tags: 0 }
    include_children: { limit_per_parent: 3 }
    passthrough_tables: [currencies]${VIRTUAL_COUPON}`);
    await expectEveryForeignKeyHolds(db);
    // Each target's rows are there.
    const gamma = await ids(shop, sampledOrders('gamma', 5));
    const orders = new Set(await ids(db, 'SELECT id FROM orders'));
    for (const id of [...gamma, '1', '2', '3']) expect(orders.has(id), `order ${id}`).toBe(true);
    expect(await count(db, 'SELECT count(*) AS n FROM customers WHERE id <= 10')).toBe(10);
    expect(await ids(db, 'SELECT id FROM employees WHERE id > 117 ORDER BY id')).toEqual(['118', '119', '120']);
    expect(await count(db, 'SELECT count(*) AS n FROM departments WHERE id = 1')).toBe(1);
    // The customers' orders came as their children: at least min(3, their orders) each.
    const perCustomer = await shop.sql<{ id: string; n: string }>('SELECT customer_id AS id, least(3, count(*)) AS n FROM orders WHERE customer_id <= 10 GROUP BY 1 ORDER BY 1');
    expect(perCustomer.length).toBeGreaterThan(0);
    for (const { id, n } of perCustomer) expect(await count(db, `SELECT count(*) AS n FROM orders WHERE customer_id = ${Number(id)}`), `customer ${id}`).toBeGreaterThanOrEqual(Number(n));
    // max_rows: nothing references order_items or order_tags, so their caps hold exactly.
    expect(counts['public.order_items']).toBe(40);
    expect(counts['public.order_tags']).toBe(0);
    expect(lines).toContain('  public.order_items: 40 of 5000 rows kept (max_rows 40)');
    expect(lines.some((line) => line.startsWith('subset from public.orders (random 5% (seed gamma)), public.customers (where id <= 10), public.employees (first 3 by id DESC)'))).toBe(true);
  });

  it('max_rows that a foreign key does not let hold is reported, not enforced by breaking the key', async () => {
    const { db, counts, lines } = await subsetAndRestore(shop, `
  database_subset:
    database: public
    targets: [{ table: orders, where: "id <= 50" }]
    max_rows: { customers: 5 }`);
    await expectEveryForeignKeyHolds(db);
    expect(counts['public.orders']).toBe(50);
    const needed = await count(shop, 'SELECT count(DISTINCT customer_id) AS n FROM orders WHERE id <= 50');
    expect(needed).toBeGreaterThan(5);
    expect(counts['public.customers']).toBe(needed);
    expect(lines).toContain(`  public.customers: ${needed} of 500 rows kept (max_rows 5)`);
    expect(lines.some((line) => line.startsWith(`warning: subset: public.customers keeps ${needed} rows, over its max_rows 5`))).toBe(true);
  });

  it('dump create --include (the CLI, no database_subset in the config): those rows and what they reference', async () => {
    const db = await createTestDatabase('subset_dst');
    destinations.push(db);
    const yaml = `
source:
  connection_uri: ${shop.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${db.uri}
`;
    const configPath = await workspace.writeConfig(yaml);
    const created = await runCli(['-c', configPath, 'dump', 'create', '-n', 'include-cli', '--include', 'public.orders:id=7,8', '--include', 'public.customers:id=42']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/^subset from public\.orders \(id in 7, 8\), public\.customers \(id in 42\): \d+ round\(s\)/m);
    await restoreDump(workspace.config(yaml), { value: 'include-cli' });
    await expectEveryForeignKeyHolds(db);
    expect(await ids(db, 'SELECT id FROM orders ORDER BY id')).toEqual(['7', '8']);
    const customers = await ids(shop, 'SELECT DISTINCT customer_id AS id FROM orders WHERE id IN (7, 8) UNION SELECT 42 ORDER BY 1');
    expect(await ids(db, 'SELECT id FROM customers ORDER BY id')).toEqual(customers);
    const bad = await runCli(['-c', configPath, 'dump', 'create', '-n', 'include-bad', '--include', 'public.orders:nope=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no column nope in public.orders');
  });
});
