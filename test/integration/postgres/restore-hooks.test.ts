import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump, restoreToScript } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const SCHEMA = `
  CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL);
  CREATE MATERIALIZED VIEW public.user_count AS SELECT count(*) AS n FROM public.users;
  INSERT INTO public.users SELECT g, 'u' || g || '@x.io', md5(g::text) FROM generate_series(1, 10) g;
  REFRESH MATERIALIZED VIEW public.user_count;
`;

describe('restore hooks (destination.before_restore / after_restore) on PostgreSQL', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  const targets: TestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('hooksrc'), createWorkspace()]);
    await source.sql(SCHEMA);
    await mkdir(join(workspace.dir, 'hooks'));
    await writeFile(
      join(workspace.dir, 'hooks', 'after.sql'),
      `-- reset every password, create the dev admin, refresh what depends on them
UPDATE public.users SET password_hash = 'dev-password';
INSERT INTO public.users VALUES (1000, 'admin@dev.local', 'dev-password');
REFRESH MATERIALIZED VIEW public.user_count;
INSERT INTO public.hook_log VALUES ('after');
`,
    );
    await writeFile(join(workspace.dir, 'hooks', 'broken.sql'), "UPDATE public.users SET password_hash = 'x';\n\nUPDATE public.no_such_table SET a = 1;\n");
    await createDump(workspace.config(yamlFor(source.uri, '')), { name: 'hooked' });
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((t) => t.drop())]);
  });

  function yamlFor(destination: string, hooks: string): string {
    return `
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination}
${hooks}`;
  }

  async function target(): Promise<TestDatabase> {
    const db = await createTestDatabase('hooktarget');
    targets.push(db);
    return db;
  }

  const config = (destination: string, hooks: string) => ({ ...workspace.config(yamlFor(destination, hooks)), origin: join(workspace.dir, 'conf.yaml') });

  const HOOKS = `  before_restore:
    - CREATE TABLE public.hook_log (what text); INSERT INTO public.hook_log VALUES ('before')
  after_restore:
    - hooks/after.sql
`;

  it('runs SQL before the dump lands and a .sql file (relative to the config) after it, with --jobs 1 and --jobs 2', async () => {
    for (const jobs of [1, 2]) {
      const db = await target();
      await restoreDump(config(db.uri, HOOKS), { value: 'hooked', jobs });
      expect(await db.sql('SELECT DISTINCT password_hash FROM public.users')).toEqual([{ password_hash: 'dev-password' }]);
      expect(await db.sql("SELECT email FROM public.users WHERE id = 1000")).toEqual([{ email: 'admin@dev.local' }]);
      expect(await db.sql('SELECT n::int FROM public.user_count')).toEqual([{ n: 11 }]);
      expect(await db.sql('SELECT what FROM public.hook_log ORDER BY what')).toEqual([{ what: 'after' }, { what: 'before' }]);
    }
  });

  it('a failing after_restore hook fails the restore, naming the hook and its line; with --jobs 1 nothing is changed', async () => {
    const db = await target();
    await db.sql("CREATE TABLE public.kept (a int); INSERT INTO public.kept VALUES (1)");
    const broken = `  after_restore:
    - hooks/broken.sql
`;
    const error = await restoreDump(config(db.uri, broken), { value: 'hooked' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('hook destination.after_restore[0] failed at hooks/broken.sql:3: relation "public.no_such_table" does not exist: UPDATE public.no_such_table SET a = 1');
    expect((error as Error).message).toContain('nothing was changed');
    // The wipe rolled back too: the destination is as it was.
    expect(await db.sql("SELECT to_regclass('public.users') IS NULL AS gone")).toEqual([{ gone: true }]);
    expect(await db.sql('SELECT a FROM public.kept')).toEqual([{ a: 1 }]);
  });

  it('with --jobs 2, a failing after_restore hook leaves the restored dump and rolls the hooks back', async () => {
    const db = await target();
    const hooks = `  after_restore:
    - UPDATE public.users SET password_hash = 'changed'
    - |
      SELECT 1;
      SELECT 1 / 0;
`;
    const error = await restoreDump(config(db.uri, hooks), { value: 'hooked', jobs: 2 }).catch((e: Error) => e);
    // The config's line 11 is `- |`: the block's text starts on line 12, its second statement is on line 13.
    expect((error as Error).message).toMatch(/hook destination\.after_restore\[1\] failed at .*conf\.yaml:13: division by zero: SELECT 1 \/ 0/);
    expect((error as Error).message).toContain('none of the after_restore hooks is');
    expect(await db.sql("SELECT count(*)::int AS n FROM public.users WHERE password_hash = 'changed'")).toEqual([{ n: 0 }]);
    expect(await db.sql('SELECT count(*)::int AS n FROM public.users')).toEqual([{ n: 10 }]);
  });

  it('a hook file that does not exist is refused before the destination is touched', async () => {
    const db = await target();
    const error = await restoreDump(config(db.uri, '  before_restore:\n    - hooks/missing.sql\n'), { value: 'hooked' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/conf\.yaml:\d+:\d+: destination\.before_restore\[0\]: the hook file hooks\/missing\.sql does not exist/);
    expect(await db.sql("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual([{ n: 0 }]);
  });

  it('-o writes the hooks into the script, inside its transaction, where a restore runs them', async () => {
    const output = new PassThrough();
    const pieces: Buffer[] = [];
    output.on('data', (piece: Buffer) => pieces.push(piece));
    await restoreToScript(config(source.uri, HOOKS), { value: 'hooked', output });
    const script = Buffer.concat(pieces).toString('utf8');
    const begin = script.indexOf('BEGIN;');
    const before = script.indexOf("-- hook destination.before_restore[0]");
    const data = script.indexOf('COPY "public"."users"');
    const after = script.indexOf('-- hook destination.after_restore[0] (hooks/after.sql:1)');
    const commit = script.lastIndexOf('COMMIT;');
    expect({ begin, before, data, after, commit }).toEqual({ begin: expect.any(Number), before: expect.any(Number), data: expect.any(Number), after: expect.any(Number), commit: expect.any(Number) });
    expect(Math.min(begin, before, data, after, commit), script.slice(0, 3000)).toBeGreaterThanOrEqual(0);
    expect(begin < before && before < data && data < after && after < commit).toBe(true);
    expect(script).toContain("UPDATE public.users SET password_hash = 'dev-password';");
  });
});
