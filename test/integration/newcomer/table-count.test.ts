import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * #19 item 6: the progress summary of a dump with many empty partitions, and its table count, which is
 * the same notion for a full dump and a subset (a table the subset does not reach is a table of the dump,
 * without rows, as an empty table is in a full dump), on PostgreSQL and MySQL, and in the restore's summary.
 */
const summaryCount = (stderr: string, operation: 'dump' | 'restore') => Number(new RegExp(`^${operation}: (\\d+) tables,`, 'm').exec(stderr)?.[1]);

describe('progress with empty tables, full dump and subset', () => {
  let source: TestDatabase;
  let destination: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [source, destination, ws] = await Promise.all([createTestDatabase('count_src'), createTestDatabase('count_dst'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE customers (id int PRIMARY KEY, name text);
      CREATE TABLE orders (id int, customer_id int REFERENCES customers, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      DO $$ BEGIN FOR m IN 1..12 LOOP
        EXECUTE format('CREATE TABLE orders_%s PARTITION OF orders FOR VALUES FROM (%L) TO (%L)', m, make_date(2024, m, 1), make_date(2024, m, 1) + interval '1 month');
      END LOOP; END $$;
      CREATE TABLE audit (id int PRIMARY KEY, note text); -- the subset does not reach it
      INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 40) g;
      INSERT INTO orders SELECT g, 1 + g % 40, date '2024-01-10' FROM generate_series(1, 100) g;
      INSERT INTO audit SELECT g, 'n' FROM generate_series(1, 5) g;`);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), destination?.drop(), ws?.remove()]);
  });

  const config = (subset: boolean) =>
    ws.writeConfig(
      [
        'source:',
        `  connection_uri: ${source.uri}`,
        ...(subset ? ['  database_subset: { database: public, table: orders, strategy_name: random, strategy_options: { percent: 50, seed: 7 } }'] : []),
        'datastore:',
        `  local_disk: { dir: ${ws.storeDir} }`,
        'destination:',
        `  connection_uri: ${destination.uri}`,
        '  wipe_database: true',
        '',
      ].join('\n'),
    );

  it('PostgreSQL: 11 empty partitions make one line; a full dump and a subset count the same tables, in the dump and the restore', async () => {
    const full = await runCli(['-c', await config(false), 'dump', 'create', '-n', 'full']);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/^ {2}11 tables with no rows: public\.orders_2, public\.orders_3, .*, and 3 more$/m);
    expect(full.stderr).not.toMatch(/: 0 rows/);
    const subset = await runCli(['-c', await config(true), 'dump', 'create', '-n', 'subset']);
    expect(subset.code, subset.stderr).toBe(0);
    expect(subset.stderr).toMatch(/^ {2}public\.audit: 0 of 5 rows kept \(not reached\)$/m);
    // customers, the 12 partitions and audit.
    expect(summaryCount(full.stderr, 'dump')).toBe(14);
    expect(summaryCount(subset.stderr, 'dump')).toBe(14);
    expect(subset.stderr).toMatch(/^ {2}12 tables with no rows: public\.audit, public\.orders_2, /m);

    const restored = await runCli(['-c', await config(true), 'dump', 'restore', 'remote', '-v', 'subset']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(summaryCount(restored.stderr, 'restore')).toBe(14);
    expect(restored.stderr).toMatch(/^ {2}12 tables with no rows: /m);
    expect(await destination.sql('SELECT count(*)::int AS n FROM audit')).toEqual([{ n: 0 }]);
  });
});

describe('MySQL: a full dump and a subset count the same tables', () => {
  let source: MysqlTestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [source, ws] = await Promise.all([createMysqlDatabase('count_src'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE customers (id int PRIMARY KEY, name text);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int, FOREIGN KEY (customer_id) REFERENCES customers (id));
      CREATE TABLE audit (id int PRIMARY KEY, note text);
      INSERT INTO customers VALUES (1, 'a'), (2, 'b'), (3, 'c');
      INSERT INTO orders VALUES (1, 1), (2, 2), (3, 3), (4, 1);
      INSERT INTO audit VALUES (1, 'n');`);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), ws?.remove()]);
  });

  it('the table the subset does not reach is still a table of the dump', async () => {
    const config = (subset: boolean) =>
      ws.writeConfig(
        [
          'source:',
          `  connection_uri: ${source.uri}`,
          ...(subset ? [`  database_subset: { database: ${source.name}, table: orders, strategy_name: random, strategy_options: { percent: 50, seed: 7 } }`] : []),
          'datastore:',
          `  local_disk: { dir: ${ws.storeDir} }`,
          '',
        ].join('\n'),
      );
    const full = await runCli(['-c', await config(false), 'dump', 'create', '-n', 'full']);
    expect(full.code, full.stderr).toBe(0);
    const subset = await runCli(['-c', await config(true), 'dump', 'create', '-n', 'subset']);
    expect(subset.code, subset.stderr).toBe(0);
    expect(subset.stderr).toMatch(/audit: 0 of 1 rows kept \(not reached\)$/m);
    expect(summaryCount(full.stderr, 'dump')).toBe(3);
    expect(summaryCount(subset.stderr, 'dump')).toBe(3);
  });
});
