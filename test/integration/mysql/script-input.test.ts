import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, openDatastore, restoreDump } from '../../../src/index.js';
import { CLI, runCli } from '../../support/cli.js';
import { createMysqlDatabase, loadMysqlFixture, MYSQL_CLIENT, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { describeMysqlSchema, mysqlColumnDigest, mysqlColumns, mysqlColumnValues } from '../../support/mysql-compare.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function configYaml(source: MysqlTestDatabase, destination: MysqlTestDatabase, store: string): string {
  return `
salt: test-salt
source:
  transformers:
    - database: ${source.name}
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: notes, transformer_name: random }
        - { name: avatar, transformer_name: transient }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

function dumpScript(db: MysqlTestDatabase, extra: string[] = []): Buffer {
  const args = db.clientArgs();
  const result = spawnSync(MYSQL_DUMP, [...args.slice(0, -2), '--routines', ...extra, db.name], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${MYSQL_DUMP}: ${result.stderr.toString()}`);
  return result.stdout;
}

describe('mariadb-dump | replibyte dump create -s mysql -i', () => {
  let source: MysqlTestDatabase;
  let restored: MysqlTestDatabase;
  let viaClient: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, viaClient, workspace] = await Promise.all([
      createMysqlDatabase('ssrc'),
      createMysqlDatabase('sdst'),
      createMysqlDatabase('scli'),
      createWorkspace(),
    ]);
    await loadMysqlFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), viaClient?.drop(), workspace?.remove()]);
  });

  it('transforms the INSERTs of a script (raw blobs, escapes, zero dates) and restores it identical otherwise', { timeout: 280_000 }, async () => {
    const configPath = await workspace.writeConfig(configYaml(source, restored, workspace.storeDir));
    const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'from-script'], { input: dumpScript(source) });
    expect(result.stderr).toContain('customers: 5 rows, 3 column(s) transformed');
    expect(result.code).toBe(0);

    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const datastore = await openDatastore(config);
    const manifest = await readManifest(datastore, 'from-script');
    await datastore.close();
    expect(manifest.engine).toMatchObject({ kind: 'mariadb', serverVersion: expect.stringMatching(/^10\./), dumpTool: expect.stringMatching(/MariaDB dump/) });
    expect(manifest.source).toEqual({ kind: 'script', database: source.name });

    await restoreDump(config, { value: 'from-script' });
    expect(await describeMysqlSchema(restored)).toEqual(await describeMysqlSchema(source));
    for (const { table, column } of await mysqlColumns(source)) {
      if (table === 'customers' && ['email', 'notes', 'full_label'].includes(column)) continue;
      expect(await mysqlColumnDigest(restored, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(source, table, column));
    }
    const before = await mysqlColumnValues(source, 'customers', 'email', 'id');
    const after = await mysqlColumnValues(restored, 'customers', 'email', 'id');
    before.forEach((value, index) => (value === null ? expect(after[index]).toBeNull() : expect(after[index]).not.toBe(value)));

    // The same dump as a script for the client binary.
    // As bytes: the script holds raw binary inside strings, as mariadb-dump wrote them.
    const script = spawnSync(process.execPath, [CLI, '-c', configPath, 'dump', 'restore', 'remote', '-v', 'from-script', '-o'], { maxBuffer: 1 << 30 });
    expect(script.status).toBe(0);
    const client = spawnSync(MYSQL_CLIENT, viaClient.clientArgs(), { input: script.stdout, encoding: 'utf8' });
    expect(client.stderr).toBe('');
    for (const { table, column } of await mysqlColumns(restored)) {
      expect(await mysqlColumnDigest(viaClient, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(restored, table, column));
    }
  });

  it('reads --skip-extended-insert --complete-insert --hex-blob scripts (the original replibyte\'s flags)', async () => {
    const target = await createMysqlDatabase('sorig');
    try {
      const yaml = configYaml(source, target, workspace.storeDir);
      const configPath = await workspace.writeConfig(yaml);
      const input = dumpScript(source, ['--skip-extended-insert', '--complete-insert', '--hex-blob']);
      const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'orig-flags'], { input });
      expect(result.code, result.stderr).toBe(0);
      await restoreDump(workspace.config(yaml), { value: 'orig-flags' });
      for (const { table, column } of await mysqlColumns(source)) {
        if (table === 'customers' && ['email', 'notes', 'full_label'].includes(column)) continue;
        expect(await mysqlColumnDigest(target, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(source, table, column));
      }
      // Deterministic transformers: the same output as from the extended-insert script.
      expect(await mysqlColumnValues(target, 'customers', 'email', 'id')).toEqual(await mysqlColumnValues(restored, 'customers', 'email', 'id'));
    } finally {
      await target.drop();
    }
  });
});
