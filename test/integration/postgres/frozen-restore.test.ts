import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, loadConfigFile, restoreDump } from '../../../src/index.js';
import { describeSchema, rowCounts } from '../../support/compare.js';
import { runCli } from '../../support/cli.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/*
 * The one-transaction restore (--jobs 1, the default) writes each table's rows with COPY … FREEZE where
 * PostgreSQL allows it, so the index builds and key validations after the load do not set hint bits on
 * every page. These tests pin what that must not break: every constraint valid, the rows all there, and
 * FREEZE (with the TRUNCATE it needs) only where it changes nothing.
 */

function configYaml(source: string, destination: TestDatabase, store: string): string {
  return `
salt: test-salt
source:
  connection_uri: ${source}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

async function notValidConstraints(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ name: string }>(
    `SELECT conname AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE NOT c.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** Each plain table with rows, and how many of its pages the visibility map says are all-frozen. */
async function frozenPages(db: TestDatabase): Promise<Record<string, string>> {
  await db.sql('CREATE EXTENSION IF NOT EXISTS pg_visibility');
  const rows = await db.sql<{ name: string; frozen: string; total: string }>(
    `SELECT c.oid::regclass::text AS name, (pg_visibility_map_summary(c.oid)).all_frozen::text AS frozen,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS total
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND pg_relation_size(c.oid) > 0`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, `${row.frozen} of ${row.total} pages frozen`]));
}

describe('PostgreSQL restore in one transaction writes rows frozen where allowed', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let fromScript: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, fromScript, workspace] = await Promise.all([
      createTestDatabase('frz_src'),
      createTestDatabase('frz_dst'),
      createTestDatabase('frz_scr'),
      createWorkspace(),
    ]);
    await loadFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), fromScript?.drop(), workspace?.remove()]);
  });

  it('freezes every plain table, partitions included, and leaves every constraint valid, restore after restore', async () => {
    const config = workspace.config(configYaml(source.uri, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'frozen', jobs: 1 });
    for (let round = 1; round <= 2; round += 1) {
      // The second restore wipes the first: the tables are created again in its own transaction.
      const summary = await restoreDump(config, { value: 'frozen' });
      expect(summary.rows).toBe(manifest.totals.rows);
      expect(await describeSchema(restored)).toEqual(await describeSchema(source));
      expect(await rowCounts(restored)).toEqual(await rowCounts(source));
      expect(await notValidConstraints(restored)).toEqual(await notValidConstraints(source));
      const pages = await frozenPages(restored);
      expect(Object.keys(pages).length).toBeGreaterThan(3);
      for (const [table, state] of Object.entries(pages)) {
        const total = state.split(' of ')[1]!.split(' ')[0];
        expect(`${table}: ${state}`).toBe(`${table}: ${total} of ${total} pages frozen`);
      }
    }
  });

  it('does not freeze a table a foreign key already points at (TRUNCATE would fail), and restores it all the same', async () => {
    // A hand-written script whose CREATE TABLE carries its foreign key: it is in place before the rows load.
    const script = [
      'CREATE TABLE public.parent (id integer PRIMARY KEY, name text);',
      'CREATE TABLE public.child (id integer PRIMARY KEY, parent_id integer REFERENCES public.parent (id));',
      'COPY public.parent (id, name) FROM stdin;',
      ...Array.from({ length: 500 }, (_, i) => `${i + 1}\tparent ${i + 1}`),
      '\\.',
      'COPY public.child (id, parent_id) FROM stdin;',
      ...Array.from({ length: 500 }, (_, i) => `${i + 1}\t${(i % 500) + 1}`),
      '\\.',
      '-- PostgreSQL database dump complete',
      '',
    ].join('\n');
    const configPath = await workspace.writeConfig(`
salt: test-salt
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${fromScript.uri}
`);
    const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'inline-fk'], { input: script, timeoutMs: 120_000 });
    expect(created.stderr).toContain('dump inline-fk written');

    await restoreDump(await loadConfigFile(configPath), { value: 'inline-fk' });
    const counts = await fromScript.sql<{ parents: string; children: string }>('SELECT (SELECT count(*) FROM parent)::text AS parents, (SELECT count(*) FROM child)::text AS children');
    expect(counts[0]).toEqual({ parents: '500', children: '500' });
    expect(await notValidConstraints(fromScript)).toEqual([]);
    const pages = await frozenPages(fromScript);
    expect(pages['parent']).toMatch(/^0 of [1-9]\d* pages frozen$/);
    const childPages = pages['child']!.split(' of ')[1]!.split(' ')[0];
    expect(pages['child']).toBe(`${childPages} of ${childPages} pages frozen`);
  });
});
