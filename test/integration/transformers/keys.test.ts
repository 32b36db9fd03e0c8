/**
 * Keys stay keys, against the real PostgreSQL: an email that is a primary key and is referenced by a
 * foreign key still joins after the dump (the referencing column got the same transformation without
 * being configured), and a unique column of 100,000 rows restores with 100,000 distinct values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const SCHEMA = `
  CREATE TABLE customers (email text PRIMARY KEY, name text NOT NULL);
  CREATE TABLE orders (id int PRIMARY KEY, customer_email text NOT NULL REFERENCES customers (email), total numeric(8,2));
  CREATE TABLE accounts (id int PRIMARY KEY, login varchar(60) NOT NULL UNIQUE);
  INSERT INTO customers SELECT 'customer' || i || '@acme.com', 'Name ' || i FROM generate_series(1, 2000) i;
  INSERT INTO orders SELECT i, 'customer' || (1 + (i * 7) % 2000) || '@acme.com', i % 500 FROM generate_series(1, 6000) i;
  INSERT INTO accounts SELECT i, 'user' || i || '@corp.example' FROM generate_series(1, 100000) i;
`;

function yaml(source: TestDatabase, destination: TestDatabase, store: string, salt: string): string {
  return `
salt: ${salt}
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }
    - database: public
      table: accounts
      columns:
        - { name: login, transformer_name: email }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

/** Orders per customer, as a sorted list: equal before and after iff the join kept every pairing. */
const JOIN_SHAPE = `SELECT count(*)::int AS n FROM orders o JOIN customers c ON c.email = o.customer_email GROUP BY c.email ORDER BY 1`;

describe('transformed keys', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let again: TestDatabase;
  let workspace: Workspace;
  const reporter = new CollectingReporter();

  beforeAll(async () => {
    [source, restored, again, workspace] = await Promise.all([createTestDatabase('keys_src'), createTestDatabase('keys_dst'), createTestDatabase('keys_again'), createWorkspace()]);
    await source.sql(SCHEMA);
    await createDump(workspace.config(yaml(source, restored, workspace.storeDir, 'first-salt')), { name: 'keys', reporter });
    await restoreDump(workspace.config(yaml(source, restored, workspace.storeDir, 'first-salt')), { value: 'keys' });
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), again?.drop(), workspace?.remove()]);
  });

  it('gives the referencing column its key\'s transformation, says so, and the email still joins', async () => {
    expect(reporter.lines).toContain('public.orders.customer_email: email, as its key public.customers.email (foreign key)');
    const manifest = JSON.parse(await (await import('node:fs/promises')).readFile(`${workspace.storeDir}/keys/manifest.json`, 'utf8')) as { transformed: unknown[] };
    expect(manifest.transformed).toContainEqual({ schema: 'public', table: 'orders', column: 'customer_email', transformer: 'email', propagatedFrom: 'public.customers.email', options: { deterministic: true }, algorithm: 'email@1' });

    expect(await restored.sql(JOIN_SHAPE)).toEqual(await source.sql(JOIN_SHAPE));
    expect(await restored.sql(`SELECT count(*)::int AS joined FROM orders o JOIN customers c ON c.email = o.customer_email`)).toEqual([{ joined: 6000 }]);
    expect(await restored.sql(`SELECT count(*)::int AS kept FROM customers WHERE email LIKE 'customer%@acme.com'`)).toEqual([{ kept: 0 }]);
  });

  it('restores a unique column of 100,000 rows with 100,000 distinct values, none original, all fitting varchar(60)', async () => {
    const [stats] = await restored.sql<{ rows: number; distinct: number; original: number; longest: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT login)::int AS distinct, count(*) FILTER (WHERE login LIKE 'user%@corp.example')::int AS original,
              max(length(login))::int AS longest FROM accounts`,
    );
    expect(stats).toEqual({ rows: 100_000, distinct: 100_000, original: 0, longest: expect.any(Number) });
    expect(stats!.longest).toBeLessThanOrEqual(60);
  });

  it('gives the same outputs with the same salt in another dump, and other outputs with another salt', { timeout: 300_000 }, async () => {
    await createDump(workspace.config(yaml(source, again, workspace.storeDir, 'first-salt')), { name: 'keys-again' });
    await restoreDump(workspace.config(yaml(source, again, workspace.storeDir, 'first-salt')), { value: 'keys-again' });
    const digest = `SELECT md5(string_agg(c.email || '|' || o.id, ',' ORDER BY o.id)) AS d FROM orders o JOIN customers c ON c.email = o.customer_email`;
    expect(await again.sql(digest)).toEqual(await restored.sql(digest));

    await createDump(workspace.config(yaml(source, again, workspace.storeDir, 'other-salt')), { name: 'keys-other' });
    await restoreDump(workspace.config(yaml(source, again, workspace.storeDir, 'other-salt')), { value: 'keys-other' });
    expect(await again.sql(digest)).not.toEqual(await restored.sql(digest));
    expect(await again.sql(JOIN_SHAPE)).toEqual(await source.sql(JOIN_SHAPE));
  });
});
