import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { allColumns, columnDigest, rowCounts } from '../../support/compare.js';
import { checkForeignKeys } from '../../support/foreign-keys.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * A parallel dump reads a large table in key ranges, each a data part of its own, and the restore puts
 * the parts back together (at once over several connections, or one after the other in one
 * transaction). The split size is forced down to one byte so that every table qualifies.
 */
function configYaml(source: TestDatabase, destination: TestDatabase, store: string): string {
  return `
salt: ranges-test-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: visits
      columns:
        - { name: email, transformer_name: email }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

describe('PostgreSQL dump of large tables in key ranges', () => {
  let source: TestDatabase;
  let parallel: TestDatabase;
  let serial: TestDatabase;
  let workspace: Workspace;
  const saved = process.env.REPLIBYTE_SPLIT_TABLE_BYTES;

  beforeAll(async () => {
    [source, parallel, serial, workspace] = await Promise.all([createTestDatabase('krsrc'), createTestDatabase('krpar'), createTestDatabase('krser'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE visits (id bigint PRIMARY KEY, email text NOT NULL, note text);
      -- Uneven keys: negatives, a gap, the extremes of bigint.
      INSERT INTO visits SELECT g, 'user' || g || '@corp.example', CASE WHEN g % 7 = 0 THEN NULL ELSE E'tab\\there ' || g END
        FROM generate_series(-500, 9000) g WHERE g NOT BETWEEN 2000 AND 6000;
      INSERT INTO visits VALUES (-9223372036854775808, 'min@corp.example', 'min'), (9223372036854775807, 'max@corp.example', 'max');
      CREATE TABLE lines (visit_id bigint REFERENCES visits, n int, amount numeric(10,2), PRIMARY KEY (visit_id, n));
      INSERT INTO lines SELECT id, k, id % 1000 / 10.0 FROM visits CROSS JOIN generate_series(1, 3) k WHERE id BETWEEN -500 AND 9000;
      CREATE TABLE labels (code text PRIMARY KEY, label text);
      INSERT INTO labels SELECT 'c' || g, 'label ' || g FROM generate_series(1, 500) g;
      CREATE TABLE one_row (id int PRIMARY KEY);
      INSERT INTO one_row VALUES (42);`);
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.REPLIBYTE_SPLIT_TABLE_BYTES;
    else process.env.REPLIBYTE_SPLIT_TABLE_BYTES = saved;
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), parallel?.drop(), serial?.drop(), workspace?.remove()]);
  });

  it('splits tables with an integer key into one part per connection; both restores give back every row', async () => {
    process.env.REPLIBYTE_SPLIT_TABLE_BYTES = '1';
    const config = workspace.config(configYaml(source, parallel, workspace.storeDir));
    const manifest = await createDump(config, { name: 'ranges', jobs: 3 });
    const labels = manifest.parts.filter((part) => part.kind === 'table-data').map((part) => part.label).sort();
    expect(labels).toEqual([
      'public.labels', // a text key is not split
      'public.lines (key range 1 of 3)',
      'public.lines (key range 2 of 3)',
      'public.lines (key range 3 of 3)',
      'public.one_row', // one key value: nothing to split
      'public.visits (key range 1 of 3)',
      'public.visits (key range 2 of 3)',
      'public.visits (key range 3 of 3)',
    ]);
    const visitParts = manifest.parts.filter((part) => part.table === 'visits');
    const [visits] = await source.sql<{ n: string }>('SELECT count(*)::text AS n FROM visits');
    expect(visitParts.reduce((sum, part) => sum + (part.rows ?? 0), 0)).toBe(Number(visits!.n));
    // Even cuts of [min, max] of bigint: the extremes land in the first and the last range.
    expect(visitParts.every((part) => (part.rows ?? 0) > 0)).toBe(true);

    await restoreDump(config, { value: 'ranges', jobs: 2 });
    await restoreDump(workspace.config(configYaml(source, serial, workspace.storeDir)), { value: 'ranges', jobs: 1 });
    for (const db of [parallel, serial]) {
      expect(await rowCounts(db)).toEqual(await rowCounts(source));
      for (const { table, column } of await allColumns(source)) {
        if (table === 'public.visits' && column === 'email') continue; // transformed
        expect(await columnDigest(db, table, column), `${table}.${column}`).toBe(await columnDigest(source, table, column));
      }
      const [fakes] = await db.sql<{ n: string }>("SELECT count(*)::text AS n FROM visits WHERE email LIKE '%@corp.example'");
      expect(fakes!.n).toBe('0');
      for (const check of await checkForeignKeys(db)) expect(check, check.constraint).toMatchObject({ validated: true, orphans: 0 });
    }
    // The parallel restore wrote the ranges of a table in one transaction, frozen like a table in one part.
    await parallel.sql('CREATE EXTENSION IF NOT EXISTS pg_visibility');
    const [pages] = await parallel.sql<{ frozen: string; total: string }>(
      `SELECT (pg_visibility_map_summary('visits'::regclass)).all_frozen::text AS frozen, (pg_relation_size('visits') / current_setting('block_size')::int)::text AS total`,
    );
    expect(Number(pages!.total)).toBeGreaterThan(10);
    expect(pages!.frozen).toBe(pages!.total);
    // The same fake for the same email in every part: the two restores agree.
    expect(await columnDigest(parallel, 'visits', 'email')).toBe(await columnDigest(serial, 'visits', 'email'));
  });

  it('reads a table whole below the split size, and on one connection', async () => {
    const config = workspace.config(configYaml(source, parallel, `${workspace.storeDir}`));
    const whole = await createDump(config, { name: 'whole', jobs: 3 });
    expect(whole.parts.filter((part) => part.table === 'visits')).toHaveLength(1);
    process.env.REPLIBYTE_SPLIT_TABLE_BYTES = '1';
    const serialDump = await createDump(config, { name: 'one-connection', jobs: 1 });
    expect(serialDump.parts.filter((part) => part.table === 'visits')).toHaveLength(1);
  });
});
