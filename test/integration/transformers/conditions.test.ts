/**
 * `when:` conditions and options read from the row, against the real PostgreSQL, on every path a row can
 * take: the library on one connection, the CLI with --jobs and the row-transform worker threads, and a
 * pg_dump script on stdin. Staff rows stay as they are; the others get fake names and an email made from
 * the fake names; the same dump twice gives the same rows.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const CLI_TIMEOUT = 280_000;
const TEST_TIMEOUT = 600_000;

const SCHEMA = `
  CREATE TABLE people (id int PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email varchar(80) NOT NULL UNIQUE,
                       role text, joined timestamptz NOT NULL, age int);
  INSERT INTO people
  SELECT i, 'First' || i, 'Last' || i, 'person' || i || '@acme.com',
         CASE WHEN i % 10 = 0 THEN 'staff' WHEN i % 10 = 1 THEN NULL ELSE 'customer' END,
         timestamptz '2019-06-01 00:00:00+00' + i * interval '1 day', 18 + i % 60
  FROM generate_series(1, 3000) i;
`;

function yaml(source: string, destination: TestDatabase, store: string): string {
  return `
salt: conditions-salt
source:
  ${source}
  transformers:
    - database: public
      table: people
      columns:
        - { name: first_name, transformer_name: first-name, when: "role is null or role <> 'staff'" }
        - { name: last_name, transformer_name: last-name, when: "role is null or role <> 'staff'" }
        - name: email
          transformer_name: email
          when: "not (role = 'staff') and joined >= '2019-06-11'"
          transformer_options: { first_name: { transformed: first_name }, last_name: { transformed: last_name } }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

const ROWS = `SELECT id, first_name, last_name, email, role, joined FROM people ORDER BY id`;
type Person = { id: number; first_name: string; last_name: string; email: string; role: string | null; joined: Date };

/** What every path must give: staff as they were, the others faked, their emails made from the fake names. */
function expectTransformed(before: Person[], after: Person[]): void {
  expect(after).toHaveLength(before.length);
  expect(new Set(after.map((p) => p.email)).size).toBe(after.length);
  for (const [i, person] of after.entries()) {
    const original = before[i]!;
    const clean = (name: string) => name.normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
    if (original.role === 'staff') {
      expect(person).toEqual(original);
      continue;
    }
    expect(person.first_name).not.toBe(original.first_name);
    expect(person.last_name).not.toBe(original.last_name);
    if (original.joined < new Date('2019-06-11T00:00:00Z')) {
      expect(person.email, `row ${person.id}`).toBe(original.email);
      continue;
    }
    expect(person.email).toMatch(/@example\.(com|net|org)$/);
    expect(person.email.startsWith(clean(person.first_name)), `${person.email} from ${person.first_name}`).toBe(true);
  }
}

describe('conditions and options read from the row (PostgreSQL)', () => {
  let source: TestDatabase;
  let live: TestDatabase;
  let parallel: TestDatabase;
  let script: TestDatabase;
  let workspace: Workspace;
  let before: Person[];

  beforeAll(async () => {
    [source, live, parallel, script, workspace] = await Promise.all([
      createTestDatabase('cond_src'),
      createTestDatabase('cond_live'),
      createTestDatabase('cond_jobs'),
      createTestDatabase('cond_script'),
      createWorkspace(),
    ]);
    await source.sql(SCHEMA);
    before = await source.sql<Person>(ROWS);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), live?.drop(), parallel?.drop(), script?.drop(), workspace?.remove()]);
  });

  it('live, one connection: staff untouched, emails from the fake names, records the conditions', async () => {
    const config = workspace.config(yaml(`connection_uri: ${source.uri}`, live, workspace.storeDir));
    const manifest = await createDump(config, { name: 'cond-live', jobs: 1 });
    expect(manifest.transformed.find((t) => t.column === 'email')).toMatchObject({ when: "not (role = 'staff') and joined >= '2019-06-11'", options: { first_name: { transformed: 'first_name' } } });
    await restoreDump(config, { value: 'cond-live' });
    expectTransformed(before, await live.sql<Person>(ROWS));
  }, TEST_TIMEOUT);

  it('live with --jobs 2 and row-transform worker threads gives the same rows', async () => {
    const configPath = await workspace.writeConfig(yaml(`connection_uri: ${source.uri}`, parallel, workspace.storeDir));
    const created = await runCli(['-c', configPath, 'dump', 'create', '-n', 'cond-jobs', '--jobs', '2'], { env: { REPLIBYTE_TRANSFORM_THREADS: '2' }, timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).toContain('dump cond-jobs written');
    const restored = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'cond-jobs'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.code, restored.stderr).toBe(0);
    const rows = await parallel.sql<Person>(ROWS);
    expectTransformed(before, rows);
    expect(rows).toEqual(await live.sql<Person>(ROWS));
  }, TEST_TIMEOUT);

  it('a pg_dump script on stdin gives the same rows', async () => {
    const dumped = spawnSync('pg_dump', [`--dbname=${source.uri}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(dumped.status, dumped.stderr).toBe(0);
    const configPath = await workspace.writeConfig(yaml('{}', script, workspace.storeDir).replace('  {}\n', ''));
    const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'cond-script'], { input: dumped.stdout, timeoutMs: CLI_TIMEOUT });
    expect(created.stderr).toContain('dump cond-script written');
    const restored = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'cond-script'], { timeoutMs: CLI_TIMEOUT });
    expect(restored.code, restored.stderr).toBe(0);
    const rows = await script.sql<Person>(ROWS);
    expectTransformed(before, rows);
    // A script's catalog may not see the UNIQUE constraint (it comes after the rows), so the emails may lack
    // the live dump's unique suffix: everything else is the same.
    const withoutEmail = ({ email: _email, ...rest }: Person) => rest;
    expect(rows.map(withoutEmail)).toEqual((await live.sql<Person>(ROWS)).map(withoutEmail));
  }, TEST_TIMEOUT);

  it('config check names an unknown column of a condition and a cycle of transformed reads, with their lines', async () => {
    const broken = yaml(`connection_uri: ${source.uri}`, live, workspace.storeDir)
      .replace(`"role is null or role <> 'staff'" }`, `"rol <> 'staff'" }`)
      .replace('{ name: last_name, transformer_name: last-name,', '{ name: last_name, transformer_name: template, transformer_options: { template: "{{email}}" },');
    const configPath = await workspace.writeConfig(broken);
    const checked = await runCli(['-c', configPath, 'config', 'check'], { timeoutMs: CLI_TIMEOUT });
    expect(checked.code).not.toBe(0);
    const output = checked.stdout + checked.stderr;
    expect(output).toMatch(/conf\.yaml:\d+:\d+: source\.transformers\[0\]\.columns\[0\]\.when: unknown column rol/);
    expect(output).toMatch(/the transformed values read each other in a cycle \((email → last_name → email|last_name → email → last_name)\)/);
  }, TEST_TIMEOUT);
});
