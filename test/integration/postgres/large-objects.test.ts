import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, PG_ADMIN_URI, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const CLI_TIMEOUT = 280_000;
const TEST_TIMEOUT = 600_000;

interface LargeObjectRow {
  oid: string;
  owner: string;
  acl: string | null;
  md5: string;
  size: string;
  comment: string | null;
}

/** Every large object of a database: content digest, size, owner, privileges, comment. */
async function largeObjects(db: TestDatabase): Promise<LargeObjectRow[]> {
  return db.sql<LargeObjectRow>(
    `SELECT m.oid::text AS oid, pg_get_userbyid(m.lomowner) AS owner, m.lomacl::text AS acl, md5(lo_get(m.oid)) AS md5,
       length(lo_get(m.oid))::text AS size, obj_description(m.oid, 'pg_largeobject') AS comment
     FROM pg_largeobject_metadata m ORDER BY m.oid`,
  );
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URI });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function psqlFile(db: TestDatabase, file: string): { status: number | null; stderr: string } {
  const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.uri, '-f', file], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('PostgreSQL large objects', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `rbt_lo_owner_${suffix}`;
  const reader = `rbt_lo_reader_${suffix}`;
  let source: TestDatabase;
  let workspace: Workspace;
  let expected: LargeObjectRow[];
  const targets: TestDatabase[] = [];

  const target = async (label: string) => {
    const db = await createTestDatabase(label);
    targets.push(db);
    return db;
  };

  const configFor = async (destination: TestDatabase, extra = '', file = 'conf.yaml') => {
    const path = join(workspace.dir, file);
    await writeFile(
      path,
      `
source:
  connection_uri: ${source.uri}
${extra}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination.uri}
`,
    );
    return path;
  };

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('lo_src'), createWorkspace()]);
    await admin(`CREATE ROLE ${owner}; CREATE ROLE ${reader}`);
    const big = randomBytes(5 * 1024 * 1024 + 123);
    await source.sql('CREATE TABLE public.documents (id integer PRIMARY KEY, title text, body oid)');
    await source.sql(
      `INSERT INTO public.documents VALUES
         (1, 'empty', lo_from_bytea(0, ''::bytea)),
         (2, 'small', lo_from_bytea(0, 'hello, large object'::bytea)),
         (3, 'big', lo_from_bytea(0, $1::bytea)),
         (4, 'owned', lo_from_bytea(0, '\\x00ff00ff'::bytea))`,
      [big],
    );
    const [owned] = await source.sql<{ body: string }>(`SELECT body::text FROM public.documents WHERE id = 4`);
    await source.sql(
      `ALTER LARGE OBJECT ${owned!.body} OWNER TO ${owner};
       GRANT SELECT ON LARGE OBJECT ${owned!.body} TO ${reader};
       COMMENT ON LARGE OBJECT ${owned!.body} IS 'a scanned passport';`,
    );
    expected = await largeObjects(source);
    expect(expected).toHaveLength(4);
    expect(expected.map((row) => row.size).sort()).toEqual(['0', '19', '4', String(big.length)].sort());
    expect(expected.find((row) => row.owner === owner)?.acl).toContain(`${reader}=r/${owner}`);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((db) => db.drop())]);
    await admin(`DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
  });

  it('dump create copies their content, owner, privileges and comment, says so, and restore remote (--jobs 1 and 2) and -o | psql bring them back byte for byte', async () => {
    const one = await target('lo_j1');
    const config = await configFor(one);
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'lo', '--jobs', '2'], { timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/warning: 4 large object\(s\), 5\.2 MB, copied as they are: their content cannot be transformed/);

    const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo', '--jobs', '1'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.stderr).not.toContain('error');
    expect(restored.code).toBe(0);
    expect(await largeObjects(one)).toEqual(expected);
    expect(await one.sql('SELECT id, title, body::text FROM public.documents ORDER BY id')).toEqual(
      await source.sql('SELECT id, title, body::text FROM public.documents ORDER BY id'),
    );
    // Again over the restored objects: the wipe replaces them.
    const again = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo'], { timeoutMs: CLI_TIMEOUT });
    expect(again.code).toBe(0);
    expect(await largeObjects(one)).toEqual(expected);

    const two = await target('lo_j2');
    const parallel = await runCli(['-c', await configFor(two, '', 'two.yaml'), 'dump', 'restore', 'remote', '-v', 'lo', '--jobs', '2'], { timeoutMs: CLI_TIMEOUT });
    expect(parallel.stderr).not.toContain('error');
    expect(parallel.code).toBe(0);
    expect(await largeObjects(two)).toEqual(expected);

    const script = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo', '-o'], { timeoutMs: CLI_TIMEOUT });
    expect(script.code).toBe(0);
    // Bounded statements: no line carries more than 32 KiB of content (64 KiB of hex).
    expect(Math.max(...script.stdout.split('\n').map((line) => line.length))).toBeLessThan(70_000);
    const file = join(workspace.dir, 'lo.sql');
    await writeFile(file, script.stdout);
    const three = await target('lo_psql');
    const loaded = psqlFile(three, file);
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
    expect(await largeObjects(three)).toEqual(expected);

    const verified = await runCli(['-c', config, 'dump', 'verify', '-v', 'lo'], { timeoutMs: CLI_TIMEOUT });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/large objects\s*\|\s*4 large objects/);
    // A reader of version 1 refuses it by its version instead of restoring it without the content.
    const manifest = JSON.parse(await readFile(join(workspace.storeDir, 'lo', 'manifest.json'), 'utf8')) as { version: number };
    expect(manifest.version).toBe(2);
  }, TEST_TIMEOUT);

  it('a role missing in the destination is a warning, not a failed restore', async () => {
    const db = await target('lo_norole');
    const config = await configFor(db, '', 'norole.yaml');
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'lo-norole'], { timeoutMs: CLI_TIMEOUT });
    expect(created.code).toBe(0);
    await admin(`ALTER ROLE ${reader} RENAME TO ${reader}_gone`);
    try {
      const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-norole'], { timeoutMs: CLI_TIMEOUT });
      expect(restored.code).toBe(0);
      expect(restored.stderr).toContain(`the role ${reader} does not exist here; its SELECT privilege is left out`);
      const rows = await largeObjects(db);
      expect(rows.map((row) => row.md5)).toEqual(expected.map((row) => row.md5));
      expect(rows.find((row) => row.owner === owner)?.acl).toBe(`{${owner}=rw/${owner}}`);
    } finally {
      await admin(`ALTER ROLE ${reader}_gone RENAME TO ${reader}`);
    }
  }, TEST_TIMEOUT);

  it('large_objects: skip (or --no-large-objects) leaves them out and says how many', async () => {
    const db = await target('lo_skip');
    const config = await configFor(db, '  large_objects: skip', 'skip.yaml');
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'lo-skip'], { timeoutMs: CLI_TIMEOUT });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('warning: 4 large object(s) left out (source.large_objects: skip)');
    const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-skip'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.code).toBe(0);
    expect(await largeObjects(db)).toEqual([]);

    const flagged = await runCli(['-c', await configFor(db, '', 'flag.yaml'), 'dump', 'create', '-n', 'lo-flag', '--no-large-objects'], { timeoutMs: CLI_TIMEOUT });
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toContain('warning: 4 large object(s) left out');
    // Without large objects the dump stays version 1, readable by older replibyte.
    const manifest = JSON.parse(await readFile(join(workspace.storeDir, 'lo-flag', 'manifest.json'), 'utf8')) as { version: number };
    expect(manifest.version).toBe(1);
  }, TEST_TIMEOUT);

  it('strict mode refuses while large_objects is undecided, and stores nothing', async () => {
    const db = await target('lo_strict');
    const keep = `  strict: true
  keep:
    - { database: public, table: documents, columns: [id, title, body], reason: test data }`;
    const config = await configFor(db, keep, 'strict.yaml');
    const refused = await runCli(['-c', config, 'dump', 'create', '-n', 'lo-strict'], { timeoutMs: CLI_TIMEOUT });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('strict mode: the source holds 4 large object(s), whose content no transformer can reach');
    await expect(readFile(join(workspace.storeDir, 'lo-strict', 'manifest.json'))).rejects.toThrow();
    const decided = await runCli(['-c', await configFor(db, `${keep}\n  large_objects: keep`, 'strict-keep.yaml'), 'dump', 'create', '-n', 'lo-strict'], { timeoutMs: CLI_TIMEOUT });
    expect(decided.stderr).not.toContain('error');
    expect(decided.code).toBe(0);
  }, TEST_TIMEOUT);

  it('a database_subset keeps every large object: no oid column is left dangling', async () => {
    const db = await target('lo_subset');
    const subset = `  database_subset:
    database: public
    table: documents
    strategy_name: random
    strategy_options: { percent: 50, seed: 12 }`;
    const config = await configFor(db, subset, 'subset.yaml');
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'lo-subset'], { timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-subset'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.code).toBe(0);
    expect(await db.sql('SELECT count(*)::int AS n FROM public.documents')).toEqual([{ n: 2 }]);
    expect(await largeObjects(db)).toEqual(expected);
  }, TEST_TIMEOUT);

  it('-s postgresql -i: a pg_dump script keeps its large objects, restored with --jobs 1 (twice) and 2 and by -o | psql', async () => {
    const dumped = spawnSync('pg_dump', [`--dbname=${source.uri}`], { maxBuffer: 256 << 20 });
    expect(dumped.status).toBe(0);
    const db = await target('lo_script');
    const config = await configFor(db, '', 'script.yaml');
    const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'lo-script'], { input: dumped.stdout, timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/warning: 4 large object\(s\), 5\.2 MB, copied as they are/);
    for (const jobs of ['1', '1', '2']) {
      const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-script', '--jobs', jobs], { timeoutMs: CLI_TIMEOUT });
      expect(restored.stderr).not.toContain('error');
      expect(restored.code).toBe(0);
      expect(await largeObjects(db)).toEqual(expected);
    }
    const script = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-script', '-o'], { timeoutMs: CLI_TIMEOUT });
    expect(script.code).toBe(0);
    const file = join(workspace.dir, 'lo-script.sql');
    await writeFile(file, script.stdout);
    const fromScript = await target('lo_script_psql');
    const loaded = psqlFile(fromScript, file);
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
    expect(await largeObjects(fromScript)).toEqual(expected);
  }, TEST_TIMEOUT);

  it('-s postgresql -i: the BEGIN/COMMIT around a script\'s large objects do not end the restore\'s transaction early', async () => {
    const dumped = spawnSync('pg_dump', [`--dbname=${source.uri}`], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(dumped.status).toBe(0);
    const db = await target('lo_script_atomic');
    const config = await configFor(db, '', 'atomic.yaml');
    // A statement after the large objects that fails on restore: nothing may remain of it.
    const trailer = dumped.stdout.lastIndexOf('--\n-- PostgreSQL database dump complete');
    expect(trailer).toBeGreaterThan(0);
    const failing = 'CREATE VIEW public.broken AS SELECT 1 / 0 AS never;\nSELECT * FROM public.broken;\n\n';
    const input = `${dumped.stdout.slice(0, trailer)}${failing}${dumped.stdout.slice(trailer)}`;
    const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'lo-atomic'], { input, timeoutMs: CLI_TIMEOUT });
    expect(created.code).toBe(0);
    const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-atomic'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('division by zero');
    expect(await db.sql(`SELECT to_regclass('public.documents')::text AS t`)).toEqual([{ t: null }]);
    expect(await largeObjects(db)).toEqual([]);
  }, TEST_TIMEOUT);

  it('-s postgresql -i with large_objects: skip leaves them out (with their grants) and says how many', async () => {
    const dumped = spawnSync('pg_dump', [`--dbname=${source.uri}`], { maxBuffer: 256 << 20 });
    const db = await target('lo_script_skip');
    const config = await configFor(db, '  large_objects: skip', 'script-skip.yaml');
    const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'lo-script-skip'], { input: dumped.stdout, timeoutMs: CLI_TIMEOUT });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('warning: 4 large object(s) left out (source.large_objects: skip)');
    const restored = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'lo-script-skip'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.stderr).not.toContain('error');
    expect(restored.code).toBe(0);
    expect(await largeObjects(db)).toEqual([]);
    expect(await db.sql('SELECT count(*)::int AS n FROM public.documents')).toEqual([{ n: 4 }]);
  }, TEST_TIMEOUT);
});

describe('a 64 MB large object', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, workspace] = await Promise.all([createTestDatabase('lo_big'), createTestDatabase('lo_bigdst'), createWorkspace()]);
    // 64 MiB of incompressible bytes, made in the server a MiB at a time (sha256 chains).
    await source.sql(`CREATE TABLE public.files (id integer PRIMARY KEY, content oid);
      DO $$ DECLARE lo oid := lo_create(0); BEGIN
        FOR i IN 0..63 LOOP
          PERFORM lo_put(lo, i * 1048576, (SELECT string_agg(sha256((i * 100000 + j)::text::bytea), ''::bytea ORDER BY j) FROM generate_series(1, 32768) j));
        END LOOP;
        INSERT INTO public.files VALUES (1, lo);
      END $$`);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), workspace?.remove()]);
  });

  it('dumps and restores with a 64 MB node heap', async () => {
    const config = await workspace.writeConfig(`
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${restored.uri}
`);
    const nodeArgs = ['--max-old-space-size=64'];
    const created = await runCli(['-c', config, 'dump', 'create', '-n', 'big'], { nodeArgs, timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('1 large object(s), 67.1 MB');
    const loaded = await runCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'big'], { nodeArgs, timeoutMs: CLI_TIMEOUT });
    expect(loaded.stderr).not.toContain('error');
    expect(loaded.code).toBe(0);
    expect(await largeObjects(restored)).toEqual(await largeObjects(source));
    expect((await largeObjects(restored))[0]?.size).toBe(String(64 * 1024 * 1024));
  }, TEST_TIMEOUT);
});
