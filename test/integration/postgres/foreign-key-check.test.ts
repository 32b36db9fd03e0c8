import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, restoreDump } from '../../../src/index.js';
import { mergeJoinCheckPays, validateForeignKey } from '../../../src/destinations/postgres/foreign-key-check.js';
import { foreignKeyStatement, relationKey } from '../../../src/destinations/postgres/post-data-plan.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/*
 * Decision 0036: a foreign key on rows a restore wrote frozen, whose referencing table has an index
 * leading with the key, is checked with hash joins off, so that PostgreSQL's own check query runs as a
 * merge join of two index-only scans. These tests pin when that happens, that the check stays
 * PostgreSQL's (a violation still fails), and that a failure still leaves nothing (--jobs 1) or says what
 * is left (--jobs N).
 */

const PARENTS = 2000;
const CHILDREN = 40_000;

async function connect(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.uri });
  await client.connect();
  return client;
}

/** How the referencing table was read by the statements of the current transaction. */
async function scansOf(client: pg.Client, table: string): Promise<{ seq: number; index: number }> {
  const { rows } = await client.query<{ seq: string; index: string }>(
    'SELECT coalesce(seq_scan, 0)::text AS seq, coalesce(idx_scan, 0)::text AS index FROM pg_stat_xact_user_tables WHERE relid = $1::regclass',
    [table],
  );
  return { seq: Number(rows[0]!.seq), index: Number(rows[0]!.index) };
}

describe('foreign-key checks planned as merge joins of index-only scans where that pays', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('fkcheck');
    await db.sql(`
      CREATE TABLE parent (id int PRIMARY KEY, name text);
      INSERT INTO parent SELECT g, 'parent ' || g FROM generate_series(1, ${PARENTS}) g;
      CREATE TABLE region_parent (region char(2), number int, PRIMARY KEY (region, number));
      INSERT INTO region_parent SELECT r, g FROM unnest(ARRAY['EU', 'US']) r, generate_series(1, ${PARENTS / 2}) g;
      CREATE TABLE indexed (id int PRIMARY KEY, parent_id int NOT NULL, note text);
      CREATE TABLE unindexed (id int PRIMARY KEY, parent_id int NOT NULL, note text);
      CREATE TABLE regions (id int PRIMARY KEY, region char(2), number int);
      INSERT INTO indexed SELECT g, 1 + g % ${PARENTS}, repeat('x', 40) FROM generate_series(1, ${CHILDREN}) g;
      INSERT INTO unindexed SELECT * FROM indexed;
      INSERT INTO regions SELECT g, (ARRAY['EU', 'US'])[1 + g % 2], 1 + g % ${PARENTS / 2} FROM generate_series(1, ${CHILDREN}) g;
      CREATE INDEX indexed_parent ON indexed (parent_id);
      CREATE INDEX regions_key ON regions (region, number);
    `);
    // What a restore's COPY … FREEZE leaves: every page all-visible, and pg_class saying so.
    await db.sql('VACUUM (FREEZE, ANALYZE)');
    // Written after: not all-visible, the index built on it.
    await db.sql(`
      CREATE TABLE unfrozen (id int PRIMARY KEY, parent_id int NOT NULL, note text);
      INSERT INTO unfrozen SELECT * FROM indexed;
      CREATE INDEX unfrozen_parent ON unfrozen (parent_id);
      ALTER TABLE indexed ADD CONSTRAINT indexed_fk FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
      ALTER TABLE unindexed ADD CONSTRAINT unindexed_fk FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
      ALTER TABLE unfrozen ADD CONSTRAINT unfrozen_fk FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
      ALTER TABLE regions ADD CONSTRAINT regions_fk FOREIGN KEY (region, number) REFERENCES region_parent NOT VALID;
    `);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('says yes only for all-visible tables whose referencing side has an index leading with the key', async () => {
    const client = await connect(db);
    try {
      expect(await mergeJoinCheckPays(client, 'public.indexed', 'indexed_fk', false)).toBe(true);
      expect(await mergeJoinCheckPays(client, 'public.regions', 'regions_fk', false)).toBe(true);
      // No index on the referencing column: the plan would sort; no index-only scan on a table not all-visible.
      expect(await mergeJoinCheckPays(client, 'public.unindexed', 'unindexed_fk', false)).toBe(false);
      expect(await mergeJoinCheckPays(client, 'public.unfrozen', 'unfrozen_fk', false)).toBe(false);
      expect(await mergeJoinCheckPays(client, 'public.indexed', 'no_such_constraint', false)).toBe(false);
      // Asked outside a transaction, it leaves none open and changes no setting.
      const { rows } = await client.query<{ hash: string; mem: string; open: boolean }>(
        "SELECT current_setting('enable_hashjoin') AS hash, current_setting('work_mem') AS mem, now() <> statement_timestamp() AS open",
      );
      expect(rows[0]).toEqual({ hash: 'on', mem: '4MB', open: false });
    } finally {
      await client.end();
    }
  });

  it('inside the restore transaction: validates through the indexes, puts the setting back, and a violation still fails', async () => {
    const client = await connect(db);
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL work_mem = \'8MB\'');
      const indexed = foreignKeyStatement('ALTER TABLE ONLY public.indexed ADD CONSTRAINT indexed_fk2 FOREIGN KEY (parent_id) REFERENCES public.parent(id)', new Set([relationKey('public', 'indexed')]))!;
      await validateForeignKey(client, indexed, { inTransaction: true, add: true });
      const scans = await scansOf(client, 'public.indexed');
      // PostgreSQL's check read the referencing table through its index, not sequentially.
      expect(scans.seq).toBe(0);
      expect(scans.index).toBeGreaterThan(0);
      const { rows } = await client.query<{ hash: string; mem: string; valid: boolean }>(
        "SELECT current_setting('enable_hashjoin') AS hash, current_setting('work_mem') AS mem, (SELECT convalidated FROM pg_constraint WHERE conname = 'indexed_fk2') AS valid",
      );
      expect(rows[0]).toEqual({ hash: 'on', mem: '8MB', valid: true });

      // Without an index: validated as PostgreSQL plans it (a sequential scan), same result.
      const unindexed = foreignKeyStatement('ALTER TABLE ONLY public.unindexed ADD CONSTRAINT unindexed_fk2 FOREIGN KEY (parent_id) REFERENCES public.parent(id)', new Set([relationKey('public', 'unindexed')]))!;
      await validateForeignKey(client, unindexed, { inTransaction: true, add: true });
      expect((await scansOf(client, 'public.unindexed')).seq).toBeGreaterThan(0);

      await client.query('ALTER TABLE indexed DROP CONSTRAINT indexed_fk, DROP CONSTRAINT indexed_fk2');
      await client.query('UPDATE indexed SET parent_id = 999999 WHERE id = 777');
      const broken = foreignKeyStatement('ALTER TABLE ONLY public.indexed ADD CONSTRAINT indexed_fk3 FOREIGN KEY (parent_id) REFERENCES public.parent(id)', new Set([relationKey('public', 'indexed')]))!;
      await expect(validateForeignKey(client, broken, { inTransaction: true, add: true })).rejects.toThrow(/violates foreign key constraint "indexed_fk3"/);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });
});

describe('a restore whose foreign key fails its check', () => {
  let restored: TestDatabase;
  let workspace: Workspace;
  let configPath: string;

  /** A pg_dump-like script: tables, rows (one child pointing nowhere when `orphan`), then keys and indexes. */
  function script(orphan: boolean): string {
    return [
      'CREATE TABLE public.parent (id integer NOT NULL, name text);',
      'CREATE TABLE public.child (id integer NOT NULL, parent_id integer NOT NULL, note text);',
      'COPY public.parent (id, name) FROM stdin;',
      ...Array.from({ length: PARENTS }, (_, i) => `${i + 1}\tparent ${i + 1}`),
      '\\.',
      'COPY public.child (id, parent_id, note) FROM stdin;',
      ...Array.from({ length: CHILDREN }, (_, i) => `${i + 1}\t${orphan && i === CHILDREN - 7 ? 999_999 : (i % PARENTS) + 1}\tsome note`),
      '\\.',
      'ALTER TABLE ONLY public.parent ADD CONSTRAINT parent_pkey PRIMARY KEY (id);',
      'ALTER TABLE ONLY public.child ADD CONSTRAINT child_pkey PRIMARY KEY (id);',
      'CREATE INDEX child_parent ON public.child USING btree (parent_id);',
      'ALTER TABLE ONLY public.child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.parent(id);',
      '-- PostgreSQL database dump complete',
      '',
    ].join('\n');
  }

  beforeAll(async () => {
    [restored, workspace] = await Promise.all([createTestDatabase('fkfail'), createWorkspace()]);
    configPath = await workspace.writeConfig(`
salt: test-salt
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${restored.uri}
`);
    for (const [name, orphan] of [['sound', false], ['orphan', true]] as const) {
      const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', name], { input: script(orphan), timeoutMs: 120_000 });
      expect(created.stderr).toContain(`dump ${name} written`);
    }
  });

  afterAll(async () => {
    await Promise.all([restored?.drop(), workspace?.remove()]);
  });

  it('restores a sound dump with every key valid, over one connection and over two', async () => {
    for (const jobs of [1, 2]) {
      await restoreDump(await loadConfigFile(configPath), { value: 'sound', jobs });
      const rows = await restored.sql<{ children: string; invalid: string; fks: string }>(
        `SELECT (SELECT count(*) FROM child)::text AS children,
           (SELECT count(*) FROM pg_constraint WHERE NOT convalidated)::text AS invalid,
           (SELECT count(*) FROM pg_constraint WHERE contype = 'f')::text AS fks`,
      );
      expect(rows[0], `--jobs ${jobs}`).toEqual({ children: String(CHILDREN), invalid: '0', fks: '1' });
      // Nothing but the key's check reads child through an index: it ran as the merge join. (The restore's
      // connections report their statistics as they close: polled, bounded.)
      let childIndexScans = 0;
      for (let attempt = 0; attempt < 50 && childIndexScans === 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        const [stats] = await restored.sql<{ n: string }>("SELECT coalesce(idx_scan, 0)::text AS n FROM pg_stat_user_tables WHERE relid = 'public.child'::regclass");
        childIndexScans = Number(stats!.n);
      }
      expect(childIndexScans, `--jobs ${jobs}`).toBeGreaterThan(0);
    }
  });

  it('--jobs 1 changes nothing: the wipe and every table are rolled back with the failed key', async () => {
    await restored.sql('DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE public.kept (n int); INSERT INTO public.kept VALUES (42)');
    const error = await restoreDump(await loadConfigFile(configPath), { value: 'orphan', jobs: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/violates foreign key constraint "child_parent_id_fkey"/);
    expect(error?.message).toContain('nothing was changed');
    const left = await restored.sql<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1");
    expect(left.map((row) => row.name)).toEqual(['kept']);
    expect(await restored.sql('SELECT n FROM public.kept')).toEqual([{ n: 42 }]);
  });

  it('--jobs 2 says the key is missing or NOT VALID', async () => {
    const error = await restoreDump(await loadConfigFile(configPath), { value: 'orphan', jobs: 2 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/violates foreign key constraint "child_parent_id_fkey"/);
    expect(error?.message).toMatch(/partly restored .* 2 of 2 tables hold their rows .* 1 foreign key\(s\) are missing or NOT VALID/);
    const rows = await restored.sql<{ valid: boolean }>("SELECT convalidated AS valid FROM pg_constraint WHERE conname = 'child_parent_id_fkey'");
    expect(rows).toEqual([{ valid: false }]);
  });
});
