import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDumps, loadConfigFile, openDatastore, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { columnDigest, columnValues, describeSchema, rowCounts } from '../../support/compare.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** The test machine is shared: give each CLI run and each test room. */
const CLI_TIMEOUT = 280_000;
const TEST_TIMEOUT = 600_000;

const TRANSFORMED = [
  { table: 'public.customers', column: 'email' },
  { table: 'public.customers', column: 'first_name' },
  { table: 'public.customers', column: 'notes' },
  { table: 'public.customers', column: 'phone' },
  { table: '"Odd Schema"."Mixed ""Case"" Table"', column: 'Émoji ☃ column' },
];
const UNTOUCHED = [
  { table: 'public.customers', column: 'LastName' },
  { table: 'public.customers', column: 'tags' },
  { table: 'public.customers', column: 'profile' },
  { table: 'public.customers', column: 'avatar' },
  { table: 'public.customers', column: 'balance' },
  { table: 'public.customers', column: 'last_seen' },
  { table: 'billing.invoices', column: 'amount' },
  { table: 'billing.invoice_lines', column: 'description' },
  { table: 'billing.invoice_lines', column: 'unit_price' },
  { table: '"Odd Schema"."Mixed ""Case"" Table"', column: 'select' },
  { table: 'public.events', column: 'payload' },
];

function configYaml(store: string, destination: string, extra = ''): string {
  return `
salt: test-salt
source:
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
${extra}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination}
`;
}

function pgDump(db: TestDatabase, args: string[]): string {
  const result = spawnSync('pg_dump', [...args, `--dbname=${db.uri}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  return result.stdout;
}

describe('dump create -s postgresql from a pg_dump script', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  const scripts: Record<string, string> = {};

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('pgs_src'), createWorkspace()]);
    await loadFixture(source, 'kitchen-sink.sql');
    scripts.copy = pgDump(source, []);
    scripts.inserts = pgDump(source, ['--inserts']);
    scripts['column-inserts'] = pgDump(source, ['--column-inserts', '--rows-per-insert=50']);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  for (const [format, via] of [
    ['copy', 'stdin'],
    ['inserts', 'file'],
    ['column-inserts', 'stdin'],
  ] as const) {
    it(`round trip of a ${format} script read from ${via}: schema, rows, untouched values identical, transformed changed`, async () => {
      const restored = await createTestDatabase(`pgs_${format.replace('-', '_')}`);
      try {
        const configPath = await workspace.writeConfig(configYaml(workspace.storeDir, restored.uri));
        const name = `script-${format}`;
        const scriptPath = join(workspace.dir, `${format}.sql`);
        await writeFile(scriptPath, scripts[format]!);
        const args = via === 'stdin' ? ['-i'] : ['-f', scriptPath];
        const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', ...args, '-n', name], via === 'stdin' ? { input: scripts[format]!, timeoutMs: CLI_TIMEOUT } : { timeoutMs: CLI_TIMEOUT });
        expect(created.stderr).toContain(`dump ${name} written`);
        expect(created.code).toBe(0);

        const config = await loadConfigFile(configPath);
        const datastore = await openDatastore(config);
        const dump = (await listDumps(datastore)).find((d) => d.name === name);
        await datastore.close();
        expect(dump).toBeDefined();

        await restoreDump(config, { value: name });
        expect(await describeSchema(restored)).toEqual(await describeSchema(source));
        expect(await rowCounts(restored)).toEqual(await rowCounts(source));
        for (const { table, column } of UNTOUCHED) {
          expect(await columnDigest(restored, table, column), `${table}.${column}`).toBe(await columnDigest(source, table, column));
        }
        for (const { table, column } of TRANSFORMED) {
          const order = table.includes('customers') ? 'id' : '"Id"';
          const before = await columnValues(source, table, column, order);
          const after = await columnValues(restored, table, column, order);
          expect(after).toHaveLength(before.length);
          before.forEach((value, index) => {
            if (value === null) expect(after[index], `${table}.${column} row ${index}`).toBeNull();
            else if (value !== '') expect(after[index], `${table}.${column} row ${index}`).not.toBe(value);
          });
        }
      } finally {
        await restored.drop();
      }
    }, TEST_TIMEOUT);
  }

  it('restores a script dump with -o: psql -v ON_ERROR_STOP=1 loads the printed script (COPY and INSERT dumps)', async () => {
    for (const format of ['copy', 'column-inserts'] as const) {
      const target = await createTestDatabase('pgs_psql');
      const name = `printed-${format}`;
      try {
        const configPath = await workspace.writeConfig(configYaml(workspace.storeDir, target.uri));
        const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', name], { input: scripts[format]!, timeoutMs: CLI_TIMEOUT });
        expect(created.code, created.stderr).toBe(0);
        const printed = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', name, '-o'], { timeoutMs: CLI_TIMEOUT });
        expect(printed.code, printed.stderr).toBe(0);
        const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target.uri], { input: printed.stdout, encoding: 'utf8' });
        expect(psql.stderr, name).toBe('');
        expect(psql.status).toBe(0);
        expect(await describeSchema(target)).toEqual(await describeSchema(source));
        expect(await rowCounts(target)).toEqual(await rowCounts(source));
        expect(await columnDigest(target, 'public.customers', 'LastName')).toBe(await columnDigest(source, 'public.customers', 'LastName'));
      } finally {
        await target.drop();
      }
    }
  }, TEST_TIMEOUT);

  it('the COPY and INSERT scripts give the same transformed values (deterministic transformers, same salt)', async () => {
    const [a, b] = await Promise.all([createTestDatabase('pgs_a'), createTestDatabase('pgs_b')]);
    try {
      for (const [db, format] of [[a, 'copy'], [b, 'column-inserts']] as const) {
        const configPath = await workspace.writeConfig(configYaml(workspace.storeDir, db.uri));
        const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', `same-${format}`], { input: scripts[format]!, timeoutMs: CLI_TIMEOUT });
        expect(result.code, result.stderr).toBe(0);
        await restoreDump(await loadConfigFile(configPath), { value: `same-${format}` });
      }
      expect(await columnValues(b, 'public.customers', 'email', 'id')).toEqual(await columnValues(a, 'public.customers', 'email', 'id'));
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  }, TEST_TIMEOUT);

  it('refuses a malformed script on stdin with one line naming the line, and stores nothing', async () => {
    const configPath = await workspace.writeConfig(configYaml(workspace.storeDir, source.uri));
    const before = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    const copyStart = scripts.copy!.indexOf('COPY public.employees');
    const cases = {
      'unterminated COPY': scripts.copy!.slice(0, scripts.copy!.indexOf('\\.', copyStart)),
      'wrong field count': scripts.copy!.replace(/(COPY public\.employees[^\n]*\n[^\n]*)\n/, '$1\textra\n'),
      'unterminated string': `${scripts.inserts!.slice(0, scripts.inserts!.indexOf("INSERT INTO public.employees"))}INSERT INTO public.employees VALUES (1, 'CEO, NULL);\n`,
    };
    for (const [label, input] of Object.entries(cases)) {
      const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'bad'], { input, timeoutMs: CLI_TIMEOUT });
      expect(result.code, label).toBe(1);
      const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('error:'));
      expect(lines, `${label}: ${result.stderr}`).toHaveLength(1);
      expect(lines[0], label).toMatch(/line \d+/);
    }
    expect((await runCli(['-c', configPath, 'dump', 'list', '--json'])).stdout).toBe(before.stdout);
    expect((await readdir(workspace.storeDir)).filter((n) => n === 'bad')).toEqual([]);
  }, TEST_TIMEOUT);

  it('refuses a config naming a column or table the script does not have', async () => {
    const configPath = await workspace.writeConfig(
      configYaml(workspace.storeDir, source.uri).replace('- { name: phone, transformer_name: redacted }', '- { name: telephone, transformer_name: redacted }'),
    );
    const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'missing'], { input: scripts.copy!, timeoutMs: CLI_TIMEOUT });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no column telephone in public.customers');
    const skipMissing = await workspace.writeConfig(`${configYaml(workspace.storeDir, source.uri)}`.replace('datastore:', 'datastore:').replace(/\n\ndatastore:/, '\n  skip: [{ database: public, table: nothere }]\ndatastore:'));
    const refused = await runCli(['-c', skipMissing, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'missing'], { input: scripts.copy!, timeoutMs: CLI_TIMEOUT });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no table public.nothere in the script');
    const listed = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    expect(listed.stdout).not.toContain('"missing"');
  }, TEST_TIMEOUT);

  it('skip drops a table with its DDL, skip_data keeps the table empty, wildcards included', async () => {
    const restored = await createTestDatabase('pgs_skip');
    try {
      const extra = `  skip:
    - { database: public, table: 'audit_*' }
  skip_data:
    - { database: public, table: 'events*' }`;
      const configPath = await workspace.writeConfig(configYaml(workspace.storeDir, restored.uri, extra));
      for (const format of ['copy', 'column-inserts'] as const) {
        const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', `skip-${format}`], { input: scripts[format]!, timeoutMs: CLI_TIMEOUT });
        expect(result.code, result.stderr).toBe(0);
        await restoreDump(await loadConfigFile(configPath), { value: `skip-${format}` });
        const counts = await rowCounts(restored);
        expect(counts['public.audit_log']).toBeUndefined();
        expect(counts['public.events_2023']).toBe(0);
        expect(counts['public.customers']).toBe(600);
        const sequences = await restored.sql(`SELECT sequencename FROM pg_sequences WHERE sequencename = 'audit_log_id_seq'`);
        expect(sequences).toHaveLength(1); // the sequence itself stays (only its OWNED BY goes)
      }
    } finally {
      await restored.drop();
    }
  }, TEST_TIMEOUT);
});
