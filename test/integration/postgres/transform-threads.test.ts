import { mkdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ParallelRowTransform } from '../../../src/encode/parallel-row-transform.js';
import { createDump, restoreDump } from '../../../src/index.js';
import { columnDigest } from '../../support/compare.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * The rows of a transformed table rewritten on worker threads (ParallelRowTransform) restore to exactly
 * what the one-thread rewrite gives: same fakes, same order, every other column untouched. The worker
 * count is forced through REPLIBYTE_TRANSFORM_THREADS, since the table is below the size that starts
 * workers by itself.
 */
function configYaml(source: TestDatabase, destination: TestDatabase, store: string): string {
  return `
salt: threads-test-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: people
      columns:
        - { name: email, transformer_name: email }
        - { name: first_name, transformer_name: first-name }
        - { name: note, transformer_name: redacted }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

describe('PostgreSQL dump with row transforms on worker threads', () => {
  let source: TestDatabase;
  let serial: TestDatabase;
  let threaded: TestDatabase;
  let workspace: Workspace;
  const saved = process.env.REPLIBYTE_TRANSFORM_THREADS;

  beforeAll(async () => {
    [source, serial, threaded, workspace] = await Promise.all([createTestDatabase('tsrc'), createTestDatabase('tone'), createTestDatabase('tthr'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE, first_name varchar(12), note text, "Odd ""col""" jsonb, born timestamptz);
      INSERT INTO people SELECT g, 'user' || g || '@corp.example', CASE WHEN g % 11 = 0 THEN NULL WHEN g % 13 = 0 THEN '' ELSE 'Name' || (g % 300) END,
        E'tab\\there, newline\\nthere, backslash \\\\ ' || g, jsonb_build_object('k', g, 'text', E'a\\tb'), timestamptz '2020-01-01' + g * interval '1 minute'
      FROM generate_series(1, 30000) g;
      CREATE TABLE orders (id int PRIMARY KEY, buyer text REFERENCES people (email));
      INSERT INTO orders SELECT g, 'user' || (g * 7 % 30000 + 1) || '@corp.example' FROM generate_series(1, 5000) g;`);
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.REPLIBYTE_TRANSFORM_THREADS;
    else process.env.REPLIBYTE_TRANSFORM_THREADS = saved;
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), serial?.drop(), threaded?.drop(), workspace?.remove()]);
  });

  it('restores the same rows as the one-thread rewrite, and the references still join', async () => {
    await Promise.all(['one', 'two'].map((name) => mkdir(`${workspace.storeDir}/${name}`)));
    const parallelTables = vi.spyOn(ParallelRowTransform.prototype, '_flush');
    process.env.REPLIBYTE_TRANSFORM_THREADS = '0';
    await createDump(workspace.config(configYaml(source, serial, `${workspace.storeDir}/one`)), { name: 'one' });
    await restoreDump(workspace.config(configYaml(source, serial, `${workspace.storeDir}/one`)), { value: 'one' });
    expect(parallelTables).not.toHaveBeenCalled();
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    await createDump(workspace.config(configYaml(source, threaded, `${workspace.storeDir}/two`)), { name: 'two' });
    // people and orders (whose buyer follows the transformed email) both went through the workers.
    expect(parallelTables).toHaveBeenCalledTimes(2);
    parallelTables.mockRestore();
    await restoreDump(workspace.config(configYaml(source, threaded, `${workspace.storeDir}/two`)), { value: 'two' });

    for (const column of ['id', 'email', 'first_name', 'note', 'Odd "col"', 'born']) {
      expect(await columnDigest(threaded, 'people', column), column).toBe(await columnDigest(serial, 'people', column));
    }
    expect(await columnDigest(threaded, 'orders', 'buyer')).toBe(await columnDigest(serial, 'orders', 'buyer'));
    // The fakes are fakes, and the foreign key from orders still finds every transformed email.
    const [changed] = await threaded.sql<{ n: string }>(`SELECT count(*)::text AS n FROM people WHERE email LIKE '%@corp.example'`);
    expect(changed!.n).toBe('0');
    const [orphans] = await threaded.sql<{ n: string }>('SELECT count(*)::text AS n FROM orders o LEFT JOIN people p ON p.email = o.buyer WHERE p.id IS NULL');
    expect(orphans!.n).toBe('0');
  });
});
