import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { closedPort, startPasswordRefusingServer } from '../../support/fake-postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** Each bad input: exit code 1, one clear line on stderr, no secret in it, and `dump list` unchanged. */
describe('bad input', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  let configPath: string;

  const configFor = (uri: string, extra = '') => `
source:
  connection_uri: ${uri}
${extra}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`;

  async function expectListUnchanged() {
    const list = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((d: { name: string }) => d.name)).toEqual(['good']);
  }

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('bad'), createWorkspace()]);
    await source.sql('CREATE TABLE public.users (id int PRIMARY KEY, "Email" text); INSERT INTO public.users VALUES (1, \'a@b.c\')');
    configPath = await workspace.writeConfig(configFor(source.uri));
    const good = await runCli(['-c', configPath, 'dump', 'create', '-n', 'good']);
    expect(good.stderr).not.toMatch(/error/);
    expect(good.code).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  it('a wrong password: one line, without the password', async () => {
    const server = await startPasswordRefusingServer();
    try {
      const path = await workspace.writeConfig(configFor(`postgres://app:s3cr3t-pw@127.0.0.1:${server.port}/app`));
      const result = await runCli(['-c', path, 'dump', 'create']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: cannot connect to the source postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/app: password authentication failed\n$/);
      expect(result.stderr + result.stdout).not.toContain('s3cr3t-pw');
    } finally {
      await server.close();
    }
    await workspace.writeConfig(configFor(source.uri));
    await expectListUnchanged();
  });

  it('an unreachable host', async () => {
    const port = await closedPort();
    const path = await workspace.writeConfig(configFor(`postgres://postgres:pw@127.0.0.1:${port}/nope`));
    const result = await runCli(['-c', path, 'dump', 'create']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connection refused');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    await workspace.writeConfig(configFor(source.uri));
    await expectListUnchanged();
  });

  it('a table, a column or a skip entry the source does not have: refused before anything is written', async () => {
    const path = await workspace.writeConfig(
      configFor(
        source.uri,
        `  transformers:
    - database: public
      table: userz
      columns: [{ name: email, transformer_name: email }]
    - database: public
      table: users
      columns: [{ name: email, transformer_name: email }]
  skip_data:
    - { database: public, table: 'logs_*' }`,
      ),
    );
    const result = await runCli(['-c', path, 'dump', 'create']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('conf.yaml:6:7: source.transformers[0].table: no table public.userz');
    expect(result.stderr).toContain('source.transformers[1].columns[0].name: no column email in public.users (did you mean "Email"?)');
    expect(result.stderr).toContain('source.skip_data[0]: no table public.logs_*');
    await workspace.writeConfig(configFor(source.uri));
    await expectListUnchanged();
  });

  it('a malformed config: unknown key, wrong type and missing variable, each with its key path and line', async () => {
    const path = await workspace.writeConfig(`
source:
  connection_uri: $REPLIBYTE_TEST_UNSET_VARIABLE
  compresion: true
  skip: yes
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const result = await runCli(['-c', path, 'dump', 'create'], { env: { REPLIBYTE_TEST_UNSET_VARIABLE: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("conf.yaml:3:3: source.connection_uri: environment variable 'REPLIBYTE_TEST_UNSET_VARIABLE' is not set");
    expect(result.stderr).toContain('conf.yaml:4:3: source.compresion: unknown key');
    expect(result.stderr).toMatch(/conf\.yaml:5:3: source\.skip: .*array/);
    await workspace.writeConfig(configFor(source.uri));
    await expectListUnchanged();
  });

  it('a missing config file', async () => {
    const result = await runCli(['-c', `${workspace.dir}/nope.yaml`, 'dump', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: config file ${workspace.dir}/nope.yaml does not exist\n`);
  });

  it('restoring a dump that does not exist names the dumps that do', async () => {
    const result = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'nope', '-o']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: no dump named nope in local disk ' + workspace.storeDir + '\nhint: known dumps: good\n');
  });
});
