import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, listDumps, openDatastore, restoreDump } from '../../../src/index.js';
import { allColumns, columnDigest, columnValues, describeSchema, rowCounts } from '../../support/compare.js';
import { runCli } from '../../support/cli.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TRANSFORMED = [
  { table: 'public.customers', column: 'email', transformer: 'email' },
  { table: 'public.customers', column: 'first_name', transformer: 'first-name' },
  { table: 'public.customers', column: 'notes', transformer: 'random' },
  { table: 'public.customers', column: 'phone', transformer: 'redacted' },
  { table: '"Odd Schema"."Mixed ""Case"" Table"', column: 'Émoji ☃ column', transformer: 'random' },
];

function configYaml(source: TestDatabase, destination: TestDatabase, store: string): string {
  return `
salt: test-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: first_name, transformer_name: first-name }
        - { name: notes, transformer_name: random }
        - { name: phone, transformer_name: redacted }
    - database: Odd Schema
      table: 'Mixed "Case" Table'
      columns:
        - { name: '"Émoji ☃ column"', transformer_name: random }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

describe('PostgreSQL round trip', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let viaScript: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, viaScript, workspace] = await Promise.all([
      createTestDatabase('src'),
      createTestDatabase('dst'),
      createTestDatabase('psql'),
      createWorkspace(),
    ]);
    await loadFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), viaScript?.drop(), workspace?.remove()]);
  });

  it('restores every table, row, constraint, index, sequence, view and function, untouched columns byte-identical', async () => {
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    const manifest = await createDump(config, { name: 'round-trip' });
    expect(manifest.transformed).toHaveLength(TRANSFORMED.length);

    const datastore = await openDatastore(config);
    expect((await listDumps(datastore)).map((d) => d.name)).toEqual(['round-trip']);

    const summary = await restoreDump(config, { value: 'latest' });
    expect(summary.rows).toBe(manifest.totals.rows);

    expect(await describeSchema(restored)).toEqual(await describeSchema(source));
    expect(await rowCounts(restored)).toEqual(await rowCounts(source));

    // full_label is generated from first_name, so it is recomputed from the transformed value.
    const transformedKeys = new Set([...TRANSFORMED.map((t) => `${t.table}|${t.column}`), 'public.customers|full_label']);
    for (const { table, column } of await allColumns(source)) {
      if (transformedKeys.has(`${table}|${column}`)) continue;
      expect(await columnDigest(restored, table, column), `${table}.${column}`).toBe(await columnDigest(source, table, column));
    }
  });

  it('changes every non-null value of a transformed column, keeps NULLs, and fits the column type', async () => {
    for (const { table, column } of TRANSFORMED) {
      const order = table.includes('customers') ? 'id' : '"Id"';
      const before = await columnValues(source, table, column, order);
      const after = await columnValues(restored, table, column, order);
      expect(after).toHaveLength(before.length);
      before.forEach((value, index) => {
        if (value === null) expect(after[index], `${table}.${column} row ${index}`).toBeNull();
        else if (value === '') expect(after[index], 'an empty value has nothing to hide').toBe('');
        else expect(after[index], `${table}.${column} row ${index}: ${value}`).not.toBe(value);
      });
    }
    // email_address is a varchar(120) domain with a CHECK: the restore would have failed otherwise.
    const emails = await columnValues(restored, 'public.customers', 'email', 'id');
    expect(emails.every((e) => e === null || e.includes('@'))).toBe(true);
  });

  it('prints a script with -o that psql -v ON_ERROR_STOP=1 loads into an empty database', async () => {
    const configPath = await workspace.writeConfig(configYaml(source, viaScript, workspace.storeDir));
    const result = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'round-trip', '-o']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', viaScript.uri], { input: result.stdout, encoding: 'utf8' });
    expect(psql.stderr).toBe('');
    expect(psql.status).toBe(0);
    expect(await describeSchema(viaScript)).toEqual(await describeSchema(source));
    expect(await rowCounts(viaScript)).toEqual(await rowCounts(restored));
    expect(await columnDigest(viaScript, 'public.customers', 'email')).toBe(await columnDigest(restored, 'public.customers', 'email'));
  });
});
