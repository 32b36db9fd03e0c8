import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const SCHEMA = `
  CREATE TABLE public.users (id int PRIMARY KEY, email text);
  CREATE TABLE public.orders (id int PRIMARY KEY, user_id int REFERENCES public.users (id));
  CREATE TABLE public.audit_logins (id serial PRIMARY KEY, at timestamptz DEFAULT now());
  CREATE TABLE public.audit_clicks (id serial PRIMARY KEY, what text);
  CREATE INDEX audit_clicks_what ON public.audit_clicks (what);
  COMMENT ON TABLE public.audit_clicks IS 'clicks';
  CREATE TABLE public.sessions (token text PRIMARY KEY);
  CREATE VIEW public.user_emails AS SELECT email FROM public.users;
  INSERT INTO public.users SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 20) g;
  INSERT INTO public.orders SELECT g, 1 + g % 20 FROM generate_series(1, 40) g;
  INSERT INTO public.audit_logins (at) SELECT now() FROM generate_series(1, 5);
  INSERT INTO public.audit_clicks (what) SELECT 'c' || g FROM generate_series(1, 7) g;
  INSERT INTO public.sessions VALUES ('secret-token');
`;

describe('skip, skip_data and only_tables', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  const targets: TestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('sel'), createWorkspace()]);
    await source.sql(SCHEMA);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((t) => t.drop())]);
  });

  async function dumpAndRestore(selection: string, name: string): Promise<TestDatabase> {
    const target = await createTestDatabase('seltarget');
    targets.push(target);
    const config = workspace.config(`
source:
  connection_uri: ${source.uri}
${selection}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${target.uri}
`);
    await createDump(config, { name });
    await restoreDump(config, { value: name });
    return target;
  }

  const relations = async (db: TestDatabase) =>
    (await db.sql<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1`)).map((r) => r.name);

  it('skip leaves a table out entirely (its index and comment too); skip_data keeps it empty; both take wildcards', async () => {
    const target = await dumpAndRestore(
      `  skip:
    - { database: public, table: 'audit_c*' }
    - { database: public, table: sessions }
  skip_data:
    - { database: '*', table: audit_logins }`,
      'skips',
    );
    const names = await relations(target);
    expect(names).not.toContain('audit_clicks');
    expect(names).not.toContain('audit_clicks_what');
    expect(names).not.toContain('sessions');
    expect(names).toContain('audit_logins');
    expect(await target.sql('SELECT * FROM public.audit_logins')).toHaveLength(0);
    expect(await target.sql('SELECT * FROM public.orders')).toHaveLength(40);
  });

  it('only_tables dumps just those tables (and what they need)', async () => {
    const target = await dumpAndRestore(
      `  only_tables:
    - { database: public, table: users }
    - { database: public, table: user_emails }`,
      'only',
    );
    const tables = (await target.sql<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
    expect(tables).toEqual(['users']);
    expect(await target.sql('SELECT count(*)::int AS n FROM public.user_emails')).toEqual([{ n: 20 }]);
  });

  it('refuses a selection that could not be restored, naming what to add', async () => {
    const config = workspace.config(`
source:
  connection_uri: ${source.uri}
  skip: [{ database: public, table: users }]
  skip_data: [{ database: public, table: audit_logins }]
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const attempt = createDump(config, { name: 'refused' });
    await expect(attempt).rejects.toThrow(/public\.orders references the skipped table public\.users \(foreign key orders_user_id_fkey\)/);
    await expect(attempt).rejects.toThrow(/the view public\.user_emails is built on the skipped table public\.users/);

    const dataOnly = workspace.config(`
source:
  connection_uri: ${source.uri}
  skip_data: [{ database: public, table: users }]
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    await expect(createDump(dataOnly, { name: 'refused2' })).rejects.toThrow(/add public\.orders to skip_data too/);
  });
});
