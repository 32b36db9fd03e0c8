import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, PG_ADMIN_URI, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const CLI_TIMEOUT = 120_000;
const TEST_TIMEOUT = 300_000;

/** `\dn+ public`, from the catalog: owner, privileges, comment, and whether the second role may use it. */
async function publicSchema(db: TestDatabase, role: string) {
  const [row] = await db.sql(
    `SELECT nspowner::regrole::text AS owner, nspacl::text AS acl, obj_description(oid, 'pg_namespace') AS comment,
       has_schema_privilege($1, oid, 'USAGE') AS "roleUsage", has_schema_privilege($1, oid, 'CREATE') AS "roleCreate"
     FROM pg_namespace WHERE nspname = 'public'`,
    [role],
  );
  return row;
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

/**
 * #19 item 5: after a wipe and restore, `public` is the source's: owner pg_database_owner, PUBLIC's USAGE
 * (and CREATE when the source granted it), its comment — so the other roles of a dev database can use it.
 */
describe('the public schema after a wipe and restore', () => {
  const role = `rbt_pub_reader_${randomBytes(4).toString('hex')}`;
  const databases: TestDatabase[] = [];
  let workspace: Workspace;

  const database = async (label: string) => {
    const db = await createTestDatabase(label);
    databases.push(db);
    return db;
  };

  const config = async (source: TestDatabase, destination: TestDatabase, file: string) => {
    const path = join(workspace.dir, file);
    await writeFile(
      path,
      `source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${destination.uri}\n  wipe_database: true\n`,
    );
    return path;
  };

  beforeAll(async () => {
    workspace = await createWorkspace();
    await admin(`CREATE ROLE ${role} NOLOGIN`);
  });

  afterAll(async () => {
    for (const db of databases) await db.drop();
    await admin(`DROP ROLE IF EXISTS ${role}`);
    await workspace?.remove();
  });

  // Dumps carry no privileges (pg_dump --no-privileges, docs/format.md): a source's extra GRANT on `public`
  // is not in the dump, so `public` comes back with PostgreSQL 15's defaults and the source's comment.
  const DEFAULT_ACL = '{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}';
  const cases = [
    { label: 'default', setup: '', notDumped: {} },
    {
      label: 'custom',
      setup: `GRANT CREATE ON SCHEMA public TO PUBLIC; COMMENT ON SCHEMA public IS 'the shop'`,
      notDumped: { acl: DEFAULT_ACL, roleCreate: false },
    },
  ];

  for (const { label, setup, notDumped } of cases) {
    it(`${label} public schema: --jobs 1, --jobs 2 and -o | psql keep owner, privileges and comment`, async () => {
      const source = await database(`pub_src_${label}`);
      await source.sql(`CREATE TABLE public.items (id int PRIMARY KEY, name text); INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
        GRANT SELECT ON public.items TO ${role}; ${setup}`);
      const expected = { ...(await publicSchema(source, role)), ...notDumped };
      expect(expected).toMatchObject({ owner: 'pg_database_owner', acl: DEFAULT_ACL, roleUsage: true, roleCreate: false });

      const one = await database(`pub_one_${label}`);
      // The destination's public made as older versions left it: owned by the restoring role, no PUBLIC grant.
      await one.sql(`DROP SCHEMA public; CREATE SCHEMA public; CREATE TABLE public.stale (x int)`);
      const configOne = await config(source, one, `${label}-one.yaml`);
      const created = await runCli(['-c', configOne, 'dump', 'create', '-n', `pub-${label}`], { timeoutMs: CLI_TIMEOUT });
      expect(created.code, created.stderr).toBe(0);
      const restored = await runCli(['-c', configOne, 'dump', 'restore', 'remote', '-v', `pub-${label}`], { timeoutMs: CLI_TIMEOUT });
      expect(restored.code, restored.stderr).toBe(0);
      expect(await publicSchema(one, role)).toEqual(expected);
      expect(await one.sql('SELECT count(*)::int AS n FROM public.items')).toEqual([{ n: 2 }]);
      expect(await one.sql("SELECT to_regclass('public.stale') AS stale")).toEqual([{ stale: null }]);

      const two = await database(`pub_two_${label}`);
      const parallel = await runCli(['-c', await config(source, two, `${label}-two.yaml`), 'dump', 'restore', 'remote', '-v', `pub-${label}`, '--jobs', '2'], {
        timeoutMs: CLI_TIMEOUT,
      });
      expect(parallel.code, parallel.stderr).toBe(0);
      expect(await publicSchema(two, role)).toEqual(expected);

      const script = await runCli(['-c', configOne, 'dump', 'restore', 'remote', '-v', `pub-${label}`, '-o'], { timeoutMs: CLI_TIMEOUT });
      expect(script.code, script.stderr).toBe(0);
      const three = await database(`pub_psql_${label}`);
      const loaded = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', three.uri], { input: script.stdout, encoding: 'utf8' });
      expect(loaded.stderr).toBe('');
      expect(loaded.status).toBe(0);
      expect(await publicSchema(three, role)).toEqual(expected);
    }, TEST_TIMEOUT);
  }
});
