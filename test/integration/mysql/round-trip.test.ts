import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, listDumps, openDatastore, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, loadMysqlFixture, MYSQL_CLIENT, type MysqlTestDatabase } from '../../support/mysql.js';
import { describeMysqlSchema, mysqlColumnDigest, mysqlColumns, mysqlColumnValues, mysqlRowCounts } from '../../support/mysql-compare.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const ODD = 'Odd `Table` ☃';
const TRANSFORMED = [
  { table: 'customers', column: 'email', transformer: 'email' },
  { table: 'customers', column: 'first_name', transformer: 'first-name' },
  { table: 'customers', column: 'notes', transformer: 'random' },
  { table: 'customers', column: 'phone', transformer: 'redacted' },
  { table: ODD, column: 'Émoji ☃ column', transformer: 'random' },
];

export function mysqlConfigYaml(source: MysqlTestDatabase, destination: MysqlTestDatabase, store: string): string {
  return `
salt: test-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: ${source.name}
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: first_name, transformer_name: first-name }
        - { name: notes, transformer_name: random }
        - { name: phone, transformer_name: redacted }
    - database: ${source.name}
      table: 'Odd \`Table\` ☃'
      columns:
        - { name: 'Émoji ☃ column', transformer_name: random }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

describe('MySQL round trip (MariaDB)', () => {
  let source: MysqlTestDatabase;
  let restored: MysqlTestDatabase;
  let viaScript: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, viaScript, workspace] = await Promise.all([
      createMysqlDatabase('src'),
      createMysqlDatabase('dst'),
      createMysqlDatabase('cli'),
      createWorkspace(),
    ]);
    await loadMysqlFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), viaScript?.drop(), workspace?.remove()]);
  });

  it('restores every table, row, key, auto-increment, view, trigger and routine; untouched columns byte-identical', async () => {
    const config = workspace.config(mysqlConfigYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'mysql-round-trip' });
    expect(manifest.engine.kind).toBe('mariadb');
    expect(manifest.engine.serverVersion).toMatch(/^10\.\d+\.\d+$/);
    expect(manifest.transformed).toHaveLength(TRANSFORMED.length);
    expect(manifest.parts.filter((p) => p.kind === 'table-data').map((p) => [p.table, p.rows]).sort()).toEqual([
      ['Odd `Table` ☃', 4],
      ['audit_log', 1],
      ['customers', 5],
      ['employees', 4],
      ['empty_table', 0],
      ['invoice_lines', 3],
      ['invoices', 3],
    ]);

    const datastore = await openDatastore(config);
    const [listed] = await listDumps(datastore);
    await datastore.close();
    expect(listed).toMatchObject({ name: 'mysql-round-trip', engine: 'mariadb', engineVersion: manifest.engine.serverVersion });

    // Something to wipe: the restore must replace it, not fail on it.
    await restored.sql('CREATE TABLE customers (id int); CREATE VIEW leftover AS SELECT 1 AS one');
    const summary = await restoreDump(config, { value: 'latest' });
    expect(summary.rows).toBe(manifest.totals.rows);

    expect(await describeMysqlSchema(restored)).toEqual(await describeMysqlSchema(source));
    expect(await mysqlRowCounts(restored)).toEqual(await mysqlRowCounts(source));
    const transformedKeys = new Set([...TRANSFORMED.map((t) => `${t.table}|${t.column}`), 'customers|full_label']);
    for (const { table, column } of await mysqlColumns(source)) {
      if (transformedKeys.has(`${table}|${column}`)) continue;
      expect(await mysqlColumnDigest(restored, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(source, table, column));
    }
    // The routines work in the restored copy.
    const [total] = await restored.sql<{ t: string }>("SELECT invoice_total('EU', 2) AS t");
    expect(total!.t).toBe('99999999.9999');
  });

  it('changes every non-empty value of a transformed column, keeps NULL and empty, fits the column', async () => {
    for (const { table, column } of TRANSFORMED) {
      const order = table === 'customers' ? 'id' : '`Id`';
      const before = await mysqlColumnValues(source, table, column, order);
      const after = await mysqlColumnValues(restored, table, column, order);
      expect(after).toHaveLength(before.length);
      before.forEach((value, index) => {
        if (value === null) expect(after[index], `${table}.${column} row ${index}`).toBeNull();
        else if (value === '') expect(after[index]).toBe('');
        else expect(after[index], `${table}.${column} row ${index}: ${value}`).not.toBe(value);
      });
    }
    const emails = await mysqlColumnValues(restored, 'customers', 'email', 'id');
    expect(emails.every((e) => e === null || e.includes('@'))).toBe(true);
  });

  it('prints a script with -o that the mysql client loads', async () => {
    const configPath = await workspace.writeConfig(mysqlConfigYaml(source, viaScript, workspace.storeDir));
    const result = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'mysql-round-trip', '-o']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DELIMITER ;;');
    const client = spawnSync(MYSQL_CLIENT, viaScript.clientArgs(), { input: result.stdout, encoding: 'utf8' });
    expect(client.stderr).toBe('');
    expect(client.status).toBe(0);
    expect(await describeMysqlSchema(viaScript)).toEqual(await describeMysqlSchema(restored));
    for (const { table, column } of await mysqlColumns(restored)) {
      expect(await mysqlColumnDigest(viaScript, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(restored, table, column));
    }
  });
});
