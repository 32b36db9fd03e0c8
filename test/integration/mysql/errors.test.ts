import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump, restoreToScript } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, loadMysqlFixture, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { Writable } from 'node:stream';

describe('MySQL: bad input gives one clear error', () => {
  let source: MysqlTestDatabase;
  let pgDestination: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, pgDestination, workspace] = await Promise.all([createMysqlDatabase('err'), createTestDatabase('errpg'), createWorkspace()]);
    await loadMysqlFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), pgDestination?.drop(), workspace?.remove()]);
  });

  const store = () => `datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`;

  it('refuses a malformed script on stdin and stores nothing', { timeout: 280_000 }, async () => {
    const configPath = await workspace.writeConfig(store());
    const unterminated = "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('fine'),('cut in the midd";
    const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'bad'], { input: unterminated });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*mysql script on stdin: the script ends inside a 'string' opened on line 2/m);

    const garbage = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1),(2) (3);\n";
    const second = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'bad'], { input: garbage });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('line 2: INSERT INTO t: after row 2: unexpected "(3)"');

    const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
    const third = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'bad'], { input: gzip });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('this is not a SQL script');
    const list = await runCli(['-c', configPath, 'dump', 'list']);
    expect(list.stdout).toContain('no dumps available');
  });

  it('names an unreachable server without its password', async () => {
    const config = workspace.config(`source:\n  connection_uri: mysql://root:s3cret@127.0.0.1:1/app\n${store()}`);
    const error = await createDump(config, { name: 'unreachable' }).catch((e: Error) => e);
    expect((error as Error).message).toBe('cannot connect to the source mysql://root:***@127.0.0.1:1/app: connection refused (is the server running?)');
  });

  it('names a database that does not exist', async () => {
    const config = workspace.config(`source:\n  connection_uri: mysql://root@127.0.0.1:3306/no_such_db_here\n${store()}`);
    await expect(createDump(config, { name: 'nodb' })).rejects.toThrow('cannot connect to the source mysql://root@127.0.0.1:3306/no_such_db_here: the source database no_such_db_here does not exist on 127.0.0.1:3306');
  });

  it('refuses a transformer on a table or column that does not exist, with its place in the YAML', async () => {
    const yaml = `source:\n  connection_uri: ${source.uri}\n  transformers:\n    - database: ${source.name}\n      table: custmers\n      columns:\n        - { name: email, transformer_name: email }\n    - database: ${source.name}\n      table: customers\n      columns:\n        - { name: emial, transformer_name: email }\n        - { name: status, transformer_name: email }\n${store()}`;
    const error = (await createDump(workspace.config(yaml), { name: 'typo' }).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`conf.yaml:5:7: source.transformers[0].table: no table ${source.name}.custmers in the source`);
    expect(error.message).toContain(`conf.yaml:11:13: source.transformers[1].columns[0].name: no column emial in ${source.name}.customers`);
    expect(error.message).toContain(`email cannot transform ${source.name}.customers.status (enum('active','suspended','closed')): it writes text`);
  });

  it('refuses to restore a MySQL dump into PostgreSQL, and a script for the wrong client', async () => {
    const config = workspace.config(`source:\n  connection_uri: ${source.uri}\n${store()}destination:\n  connection_uri: ${pgDestination.uri}\n`);
    await createDump(config, { name: 'cross-engine' });
    await expect(restoreDump(config, { value: 'cross-engine' })).rejects.toThrow(/dump cross-engine holds a mariadb database; it cannot be restored into the postgresql destination/);
    const sink = new Writable({ write: (_c, _e, done) => done() });
    await expect(restoreToScript(config, { value: 'cross-engine', output: sink })).resolves.toMatchObject({ engine: { kind: 'mariadb' } });
  });

  it('refuses to restore into the database the dump was taken from', async () => {
    const config = workspace.config(`source:\n  connection_uri: ${source.uri}\n${store()}destination:\n  connection_uri: ${source.uri}\n`);
    await createDump(config, { name: 'self' });
    await expect(restoreDump(config, { value: 'self' })).rejects.toThrow(/refusing to restore into destination .*: it is the database dump self was taken from/);
  });

  it('refuses a database_subset that does not match the source, naming every problem, before reading a row', async () => {
    const config = workspace.config(`source:
  connection_uri: ${source.uri}
  database_subset:
    database: ${source.name}
    table: custmers
    strategy_name: random
    strategy_options: { percent: 10 }
    passthrough_tables: [nope]
${store()}`);
    const error = (await createDump(config, { name: 'subset-refused' }).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`conf.yaml:5:5: source.database_subset.table: no table ${source.name}.custmers in the source`);
    expect(error.message).toMatch(/passthrough_tables\[0\]: no table .*\.nope in the source/);
    const list = await runCli(['-c', await workspace.writeConfig(store()), 'dump', 'list']);
    expect(list.stdout).not.toContain('subset-refused');
  });
});
