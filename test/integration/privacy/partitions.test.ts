/**
 * A transformer (or a skip_data) named on a partitioned table or an inheritance parent reaches every
 * partition, sub-partition, default partition and inheritance child: their rows are read under their own
 * names, so a plan looked up by name alone let every one of them through untouched. Personal values are
 * planted in every leaf; after each kind of dump (one connection, two, key ranges, worker threads, a
 * pg_dump script) none may be found in the stored chunks nor in any table of the restored database.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/check/config-check.js';
import { createDump, restoreDump } from '../../../src/index.js';
import { builtinTransformers } from '../../../src/transformers/builtin/index.js';
import type { Manifest } from '../../../src/dump/manifest.js';
import { rowCounts } from '../../support/compare.js';
import { checkForeignKeys } from '../../support/foreign-keys.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** Every planted value holds one of these: none may survive a dump. */
const NEEDLES = ['planted-victim', 'Victimname'];
const email = (tag: string) => `${tag}.'||g||'@planted-victim.example`;
const name = (tag: string) => `Victimname ${tag} '||g||'`;

const SCHEMA = `
  -- Range partitions; one of them list-partitioned, whose default partition is hash-partitioned (three levels).
  CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, region text NOT NULL, email text, name text, note text,
    PRIMARY KEY (id, at, region)) PARTITION BY RANGE (at);
  CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (region);
  CREATE TABLE events_2024_eu PARTITION OF events_2024 FOR VALUES IN ('eu');
  CREATE TABLE events_2024_rest PARTITION OF events_2024 DEFAULT PARTITION BY HASH (id);
  CREATE TABLE events_2024_rest_h0 PARTITION OF events_2024_rest FOR VALUES WITH (MODULUS 2, REMAINDER 0);
  CREATE TABLE events_2024_rest_h1 PARTITION OF events_2024_rest FOR VALUES WITH (MODULUS 2, REMAINDER 1);
  CREATE TABLE events_older PARTITION OF events DEFAULT;
  -- List partitions.
  CREATE TABLE contacts (id int NOT NULL, country text NOT NULL, email text, name text) PARTITION BY LIST (country);
  CREATE TABLE contacts_fr PARTITION OF contacts FOR VALUES IN ('fr');
  CREATE TABLE contacts_de PARTITION OF contacts FOR VALUES IN ('de', 'at');
  -- A key referenced by a (partitioned) table, transformed in every partition: the same fake in every leaf.
  -- (A key referenced on a partitioned table holds its partition key, which is never transformed.)
  CREATE TABLE accounts (email text NOT NULL, region text NOT NULL, name text, PRIMARY KEY (email, region)) PARTITION BY LIST (region);
  CREATE TABLE accounts_eu PARTITION OF accounts FOR VALUES IN ('eu');
  CREATE TABLE accounts_us PARTITION OF accounts FOR VALUES IN ('us');
  CREATE TABLE accounts_other PARTITION OF accounts DEFAULT;
  CREATE TABLE logins (id int NOT NULL, at date NOT NULL, account_email text, account_region text,
    FOREIGN KEY (account_email, account_region) REFERENCES accounts, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE logins_a PARTITION OF logins FOR VALUES FROM ('2020-01-01') TO ('2024-01-01');
  CREATE TABLE logins_b PARTITION OF logins FOR VALUES FROM ('2024-01-01') TO ('2030-01-01');
  -- Inheritance: a child with an extra column, one with its columns in another order, a grandchild.
  CREATE TABLE people (id int PRIMARY KEY, email text, name text);
  CREATE TABLE staff (badge text) INHERITS (people);
  CREATE TABLE contractors (note text, name text, id int NOT NULL, email text, agency text);
  ALTER TABLE contractors INHERIT people;
  CREATE TABLE interns (school text) INHERITS (staff);
`;

const DATA = `
  INSERT INTO events SELECT g, date '2023-01-01' + (g % 4) * 365 - (CASE WHEN g % 4 = 3 THEN 3000 ELSE 0 END),
    CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, '${email('event')}', '${name('event')}', 'note '||g FROM generate_series(1, 1200) g;
  -- The same address in every leaf: one fake for it everywhere.
  INSERT INTO events SELECT 100000 + g, date '2023-06-01' + (g % 4) * 365 - (CASE WHEN g % 4 = 3 THEN 3000 ELSE 0 END),
    CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, 'shared@planted-victim.example', NULL, NULL FROM generate_series(1, 24) g;
  INSERT INTO contacts SELECT g, CASE g % 3 WHEN 0 THEN 'fr' WHEN 1 THEN 'de' ELSE 'at' END, '${email('contact')}', '${name('contact')}' FROM generate_series(1, 300) g;
  INSERT INTO accounts SELECT '${email('account')}', (ARRAY['eu', 'us', 'asia'])[g % 3 + 1], '${name('account')}' FROM generate_series(1, 300) g;
  INSERT INTO logins SELECT g, date '2021-01-01' + (g % 2) * 1200, a.email, a.region FROM generate_series(1, 600) g
    JOIN accounts a ON a.email = '${email('account').replace("'||g||'", "'||(g % 300 + 1)||'")}';
  INSERT INTO people SELECT g, '${email('person')}', '${name('person')}' FROM generate_series(1, 200) g;
  INSERT INTO staff SELECT 1000 + g, '${email('staff')}', '${name('staff')}', 'badge '||g FROM generate_series(1, 200) g;
  INSERT INTO contractors (note, name, id, email, agency) SELECT 'note '||g, '${name('contractor')}', 2000 + g, '${email('contractor')}', 'agency '||g FROM generate_series(1, 200) g;
  INSERT INTO interns SELECT 3000 + g, '${email('intern')}', '${name('intern')}', 'badge '||g, 'school '||g FROM generate_series(1, 200) g;
  ANALYZE;
`;

/** Transformers on the parents only, but one entry named on a partition (its name column). */
const TRANSFORMERS = `
  transformers:
    - database: public
      table: events
      columns:
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }
    - database: public
      table: events_2023
      columns:
        - { name: name, transformer_name: constant, transformer_options: { value: leaf-override } }
    - database: public
      table: contacts
      columns:
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }
    - database: public
      table: accounts
      columns:
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }
    - database: public
      table: people
      columns:
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }`;

/**
 * A script shows its foreign keys only after the rows (pg_dump's post-data), so a script dump cannot hand a
 * key's transformer to the columns that reference it: they are named, with the key's transformer.
 */
const SCRIPT_TRANSFORMERS = `${TRANSFORMERS}
    - database: public
      table: logins
      columns:
        - { name: account_email, transformer_name: email }`;

function configYaml(source: TestDatabase, destination: TestDatabase, store: string, selection = TRANSFORMERS): string {
  return `
salt: partitions-test-salt
source:
  connection_uri: ${source.uri}
  compression: false
${selection}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

/** Every table that holds rows (leaves, inheritance parents and children), with its text columns. */
async function textColumns(db: TestDatabase): Promise<Array<{ table: string; column: string }>> {
  return db.sql(`
    SELECT format('%I.%I', n.nspname, c.relname) AS table, a.attname AS column
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
    ORDER BY 1, 2`);
}

async function plantedIn(db: TestDatabase): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of await textColumns(db)) {
    const condition = NEEDLES.map((needle) => `"${column}" LIKE '%${needle}%'`).join(' OR ');
    const [row] = await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${table} WHERE ${condition}`);
    if (row!.n !== '0') found.push(`${table}.${column}: ${row!.n} rows`);
  }
  return found;
}

/** Every file the dump stored (chunks, manifest, and whatever else lies under its folder). */
async function storedText(store: string, dump: string): Promise<string> {
  const entries = await readdir(join(store, dump), { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  expect(files.some((file) => file.endsWith('.chunk'))).toBe(true);
  const parts = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  return parts.join('\n');
}

describe('transformers and skip_data named on partitioned tables and inheritance parents', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  const destinations: TestDatabase[] = [];
  const saved = { split: process.env.REPLIBYTE_SPLIT_TABLE_BYTES, threads: process.env.REPLIBYTE_TRANSFORM_THREADS };

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('partsrc'), createWorkspace()]);
    await source.sql(SCHEMA + DATA);
    // Every leaf holds planted rows: the test would prove nothing for an empty one.
    for (const { table } of await textColumns(source)) {
      const [row] = await source.sql<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${table}`);
      expect(Number(row!.n), table).toBeGreaterThan(0);
    }
  });

  afterEach(() => {
    for (const [name, value] of [['REPLIBYTE_SPLIT_TABLE_BYTES', saved.split], ['REPLIBYTE_TRANSFORM_THREADS', saved.threads]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...destinations.map((db) => db.drop())]);
  });

  async function destination(label: string): Promise<TestDatabase> {
    const db = await createTestDatabase(label);
    destinations.push(db);
    return db;
  }

  /** No planted value stored nor restored; every leaf's rows back; the leaf's own entry applied; keys still match. */
  async function expectTransformedEverywhere(dump: string, manifest: Manifest, restored: TestDatabase): Promise<void> {
    const stored = await storedText(workspace.storeDir, dump);
    for (const needle of NEEDLES) expect(stored.includes(needle), `${needle} in the stored chunks`).toBe(false);
    expect(await plantedIn(restored)).toEqual([]);
    expect(await rowCounts(restored)).toEqual(await rowCounts(source));
    // The entry named on events_2023 wins for its column; its other columns keep the parent's entry.
    const overridden = await restored.sql<{ name: string | null }>('SELECT DISTINCT name FROM ONLY events_2023 WHERE id < 100000');
    expect(overridden).toEqual([{ name: 'leaf-override' }]);
    const [others] = await restored.sql<{ n: string }>("SELECT count(*)::text AS n FROM events WHERE tableoid <> 'events_2023'::regclass AND (name IS NULL OR name = 'leaf-override') AND id < 100000");
    expect(others!.n).toBe('0');
    // The same address in every leaf got the same fake.
    const sharedQuery = 'SELECT email, count(DISTINCT tableoid)::text AS leaves FROM events WHERE id > 100000 GROUP BY email';
    const [planted] = await source.sql<{ leaves: string }>(sharedQuery);
    expect(Number(planted!.leaves)).toBeGreaterThanOrEqual(4);
    expect(await restored.sql(sharedQuery)).toEqual([{ email: expect.not.stringContaining('planted') as string, leaves: planted!.leaves }]);
    // The referenced key, transformed in every hash partition, still matches its references.
    for (const check of await checkForeignKeys(restored)) expect(check, check.constraint).toMatchObject({ validated: true, orphans: 0 });
    const [joined] = await restored.sql<{ n: string }>('SELECT count(*)::text AS n FROM logins l JOIN accounts a ON a.email = l.account_email');
    expect(joined!.n).toBe('600');
    // The manifest says which leaf got which entry.
    expect(manifest.transformed).toContainEqual(expect.objectContaining({ schema: 'public', table: 'events_2024_rest_h1', column: 'email', transformer: 'email', inheritedFrom: 'public.events' }));
    const named = manifest.transformed.find((t) => t.table === 'events_2023' && t.column === 'name');
    expect(named).toMatchObject({ schema: 'public', transformer: 'constant' });
    expect(named?.inheritedFrom).toBeUndefined();
    expect(manifest.transformed).toContainEqual(expect.objectContaining({ schema: 'public', table: 'contractors', column: 'email', transformer: 'email', inheritedFrom: 'public.people' }));
  }

  it('live dump on one connection', async () => {
    const restored = await destination('part1');
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'one', jobs: 1 });
    await restoreDump(config, { value: 'one' });
    await expectTransformedEverywhere('one', manifest, restored);
  });

  it('live dump on two connections, restored on two', async () => {
    const restored = await destination('part2');
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'two', jobs: 2 });
    await restoreDump(config, { value: 'two', jobs: 2 });
    await expectTransformedEverywhere('two', manifest, restored);
  });

  it('live dump with every leaf read in key ranges', async () => {
    process.env.REPLIBYTE_SPLIT_TABLE_BYTES = '1';
    const restored = await destination('partkr');
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'ranges', jobs: 2 });
    const labels = manifest.parts.map((part) => part.label);
    expect(labels).toContain('public.events_2024_rest_h0 (key range 2 of 2)');
    expect(labels).toContain('public.people (key range 1 of 2)');
    expect(labels).toContain('public.logins_b (key range 2 of 2)');
    expect(labels).toContain('public.accounts_eu'); // a text key is not split
    await restoreDump(config, { value: 'ranges' });
    await expectTransformedEverywhere('ranges', manifest, restored);
  });

  it('live dump with the rows rewritten on worker threads', async () => {
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    const restored = await destination('partthr');
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'threads', jobs: 1 });
    await restoreDump(config, { value: 'threads' });
    await expectTransformedEverywhere('threads', manifest, restored);
  });

  const SKIPS = `${SCRIPT_TRANSFORMERS}
  skip_data:
    - { database: public, table: events }
    - { database: public, table: people }
  skip:
    - { database: public, table: contacts }`;

  /** skip_data on events and people: every leaf and child restored empty; skip on contacts: no row of it. */
  async function expectSkipped(restored: TestDatabase): Promise<void> {
    const counts = await rowCounts(restored);
    const emptied = Object.keys(counts).filter((table) => /^public\.(events|people|staff|contractors|interns)/.test(table));
    expect(emptied).toHaveLength(9);
    for (const table of emptied) expect(counts[table], table).toBe(0);
    for (const table of Object.keys(counts).filter((t) => t.startsWith('public.contacts'))) expect(counts[table], table).toBe(0);
    expect(counts['public.accounts_eu']).toBeGreaterThan(0);
    expect(await plantedIn(restored)).toEqual([]);
  }

  it('skip_data and skip on a partitioned table and on an inheritance parent reach every leaf and child', async () => {
    const restored = await destination('partskip');
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, SKIPS));
    await createDump(config, { name: 'skipdata', jobs: 2 });
    await restoreDump(config, { value: 'skipdata' });
    await expectSkipped(restored);
    // A live dump leaves a skipped table out entirely, partitions included.
    const [left] = await restored.sql<{ n: string }>("SELECT count(*)::text AS n FROM pg_class WHERE relname LIKE 'contacts%'");
    expect(left!.n).toBe('0');
  });

  it('only_tables on a partitioned table and on an inheritance parent keeps every leaf and child, transformed', async () => {
    const restored = await destination('partonly');
    const selection = `${TRANSFORMERS}
  only_tables:
    - { database: public, table: events }
    - { database: public, table: people }`;
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, selection));
    await createDump(config, { name: 'only', jobs: 2 });
    await restoreDump(config, { value: 'only' });
    const counts = await rowCounts(restored);
    const expected = Object.fromEntries(Object.entries(await rowCounts(source)).filter(([table]) => /^public\.(events|people|staff|contractors|interns)/.test(table)));
    expect(Object.keys(expected)).toHaveLength(9);
    expect(counts).toEqual(expected);
    expect(await plantedIn(restored)).toEqual([]);
  });

  it('a subset starting from a partitioned table transforms the kept rows of every partition', async () => {
    const restored = await destination('partsub');
    const selection = `${TRANSFORMERS}
  database_subset:
    database: public
    table: events
    strategy_name: random
    strategy_options: { percent: 50, seed: 7 }`;
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, selection));
    await createDump(config, { name: 'subset', jobs: 1 });
    await restoreDump(config, { value: 'subset' });
    const counts = await rowCounts(restored);
    for (const leaf of ['events_2023', 'events_2024_eu', 'events_2024_rest_h0', 'events_2024_rest_h1', 'events_older']) {
      expect(counts[`public.${leaf}`], leaf).toBeGreaterThan(0);
    }
    expect(await plantedIn(restored)).toEqual([]);
  });

  it('refuses a transformer on a partition key column, at every level, before a row is read', async () => {
    const restored = await destination('partkey');
    const selection = `${TRANSFORMERS}
    - database: public
      table: contacts
      columns:
        - { name: country, transformer_name: country }
    - database: public
      table: events
      columns:
        - { name: id, transformer_name: random }`;
    const path = await workspace.writeConfig(configYaml(source, restored, workspace.storeDir, selection));
    const report = await checkConfig(path, { registry: builtinTransformers() });
    expect(report.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('public.contacts.country is in the partition key of public.contacts'),
      expect.stringContaining('public.events_2024_rest.id is in the partition key of public.events_2024_rest'),
    ]);
    await expect(createDump(workspace.config(configYaml(source, restored, workspace.storeDir, selection)), { name: 'refused', jobs: 1 })).rejects.toThrow(/is in the partition key/);
  });

  it('config check --preview shows each partition and child with its transformed rows', async () => {
    const restored = await destination('partchk');
    const path = await workspace.writeConfig(configYaml(source, restored, workspace.storeDir));
    const report = await checkConfig(path, { registry: builtinTransformers(), previewRows: 3 });
    expect(report.problems).toEqual([]);
    const byTable = new Map(report.previews.map((preview) => [preview.table, preview]));
    for (const leaf of ['events_2023', 'events_2024_eu', 'events_2024_rest_h0', 'events_2024_rest_h1', 'events_older', 'contacts_fr', 'contacts_de', 'accounts_other', 'people', 'staff', 'contractors', 'interns']) {
      const preview = byTable.get(leaf);
      expect(preview, leaf).toBeDefined();
      expect(preview!.columns.sort(), leaf).toEqual(['email', 'name']);
      expect(preview!.rows.length, leaf).toBeGreaterThan(0);
      for (const row of preview!.rows) {
        expect(row.before.join(' '), leaf).toMatch(/planted-victim|Victimname/);
        expect(row.after.join(' '), leaf).not.toMatch(/planted-victim|Victimname/);
      }
    }
    expect(byTable.has('events')).toBe(false); // its rows are shown in its partitions
    expect(byTable.get('events_2023')!.rows[0]!.after).toContain('leaf-override');
  });

  it.each([
    ['COPY blocks', []],
    ['INSERT statements', ['--column-inserts']],
  ])('a pg_dump script through -s postgresql -i (%s)', async (_, options) => {
    const label = options.length > 0 ? 'inserts' : 'copy';
    const restored = await destination(`partscr${label}`);
    const script = join(workspace.dir, `source-${label}.sql`);
    const dumped = spawnSync('pg_dump', ['--no-owner', '--no-privileges', ...options, `--dbname=${source.uri}`], { maxBuffer: 64 << 20 });
    expect(dumped.status, dumped.stderr.toString()).toBe(0);
    await writeFile(script, dumped.stdout);
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, SCRIPT_TRANSFORMERS));
    const manifest = await createDump(config, { name: `script-${label}`, input: createReadStream(script), sourceType: 'postgresql' });
    await restoreDump(config, { value: `script-${label}` });
    await expectTransformedEverywhere(`script-${label}`, manifest, restored);
  });

  it('refuses an INSERT without a column list into an inheritance child of a script (its column order is unknown)', async () => {
    const restored = await destination('partscrrows');
    const script = join(workspace.dir, 'source-rows.sql');
    const dumped = spawnSync('pg_dump', ['--no-owner', '--no-privileges', '--rows-per-insert=50', `--dbname=${source.uri}`], { maxBuffer: 64 << 20 });
    expect(dumped.status, dumped.stderr.toString()).toBe(0);
    await writeFile(script, dumped.stdout);
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, SCRIPT_TRANSFORMERS));
    await expect(createDump(config, { name: 'script-rows', input: createReadStream(script), sourceType: 'postgresql' })).rejects.toThrow(
      /INSERT INTO public\.contractors without a column list: .*--column-inserts/,
    );
  });

  it('a pg_dump script with skip_data and skip on the parents', async () => {
    const restored = await destination('partscrskip');
    const script = join(workspace.dir, 'source-skip.sql');
    const dumped = spawnSync('pg_dump', ['--no-owner', '--no-privileges', `--dbname=${source.uri}`], { maxBuffer: 64 << 20 });
    expect(dumped.status, dumped.stderr.toString()).toBe(0);
    await writeFile(script, dumped.stdout);
    const config = workspace.config(configYaml(source, restored, workspace.storeDir, SKIPS));
    await createDump(config, { name: 'scriptskip', input: createReadStream(script), sourceType: 'postgresql' });
    await restoreDump(config, { value: 'scriptskip' });
    await expectSkipped(restored);
  });
});
