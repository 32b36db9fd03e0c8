/**
 * The residual scan (`dump verify --scan`, `dump create --scan`) and the provenance a dump records.
 * Personal values are planted in columns no transformer touches; transformed columns hold fake emails
 * that must not be reported. The scan reports places and counts, never the values.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const PLANTED_EMAIL = 'ursula.quagmire@victim-corp.example';
const PLANTED_CARD = '4929 1234 5678 9012'; // not Luhn-valid on purpose? (checked below)

function config(sourceUri: string, store: string, options: { transformNotes?: boolean; key?: boolean; salt?: string } = {}): string {
  return `
${options.key ? 'encryption_key: residual-scan-test-key-0123456789' : ''}
salt: ${options.salt ?? 'residual-scan-salt'}
source:
  connection_uri: ${sourceUri}
  transformers:
    - database: public
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: full_name, transformer_name: full-name }
${options.transformNotes ? '    - { database: public, table: tickets, columns: [ { name: body, transformer_name: lorem } ] }' : ''}
datastore:
  local_disk:
    dir: ${store}
`;
}

describe('residual scan on PostgreSQL', () => {
  let source: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('residual_src'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, full_name text, tier text, external_id bigint);
      INSERT INTO customers SELECT i, 'user' || i || '@shop.example', 'Customer ' || i, CASE WHEN i % 2 = 0 THEN 'gold' ELSE 'basic' END,
        4000000000000000 + i * 7919 FROM generate_series(1, 300) i;
      CREATE TABLE tickets (id int PRIMARY KEY, customer_id bigint REFERENCES customers, body text, "Ünïcode col" text);
      INSERT INTO tickets SELECT i, i, 'The printer is broken again, ticket ' || i, 'plain' FROM generate_series(1, 200) i;
      UPDATE tickets SET body = 'Please call me back, my address is ${PLANTED_EMAIL} thanks' WHERE id = 17;
      CREATE TABLE payments (id int PRIMARY KEY, reference text);
      INSERT INTO payments SELECT i, 'REF-' || i FROM generate_series(1, 50) i;
      INSERT INTO payments VALUES (51, '4111 1111 1111 1111');
    `);
  });
  afterAll(async () => {
    await Promise.all([source.drop(), workspace.remove()]);
  });

  it('dump verify --scan finds planted values in untransformed columns, never in transformed ones, and prints no value', async () => {
    const store = join(workspace.dir, 'store-verify');
    await (await import('node:fs/promises')).mkdir(store);
    const path = join(workspace.dir, 'verify.yaml');
    await writeFile(path, config(source.uri, store));
    const created = await runCli(['-c', path, 'dump', 'create', '-n', 'plain']);
    expect(created.stderr).toBe(created.code === 0 ? created.stderr : '');
    expect(created.code).toBe(0);

    const text = await runCli(['-c', path, 'dump', 'verify', '-v', 'plain', '--scan']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('public.tickets.body: 1 of 200 scanned values look like text containing an email address');
    expect(text.stdout).toContain('public.payments.reference: 1 of 51 scanned values look like card numbers');
    expect(text.stderr).toMatch(/residual scan: personal-looking values remain in 2 column\(s\)/);
    // Transformed columns hold fake emails and names: not findings. Bigint ids that pass Luhn by chance: not findings.
    expect(text.stdout).not.toMatch(/customers\.(email|full_name|external_id)/);
    expect(`${text.stdout}${text.stderr}`).not.toContain(PLANTED_EMAIL);
    expect(`${text.stdout}${text.stderr}`).not.toContain('4111');

    const json = await runCli(['-c', path, 'dump', 'verify', '-v', 'plain', '--scan', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { scan: { mode: string; rowsScanned: number; findings: Array<{ table: string; column: string; detector: string; values: number }> } };
    expect(report.scan.mode).toBe('all');
    expect(report.scan.rowsScanned).toBe(300 + 200 + 51);
    expect(report.scan.findings.map((f) => `${f.table}.${f.column}:${f.detector}:${f.values}`).sort()).toEqual(['payments.reference:card:1', 'tickets.body:email-in-text:1']);

    // A sample of the first 10 rows of each table misses row 17: the report says it scanned 10 per table.
    const sampled = await runCli(['-c', path, 'dump', 'verify', '-v', 'plain', '--scan', '--sample', '10', '--json']);
    const sampledReport = JSON.parse(sampled.stdout) as { scan: { mode: string; rowsScanned: number; findings: unknown[] } };
    expect(sampledReport.scan).toMatchObject({ mode: 'sampled', rowsScanned: 30, findings: [] });
    expect(sampled.code).toBe(0);
  });

  it('dump create --scan refuses to store a dump with findings, and stores (and records) a clean one', async () => {
    const store = join(workspace.dir, 'store-create');
    await (await import('node:fs/promises')).mkdir(store);
    const leaky = join(workspace.dir, 'leaky.yaml');
    await writeFile(leaky, config(source.uri, store));
    const refused = await runCli(['-c', leaky, 'dump', 'create', '-n', 'leaky', '--scan']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('residual scan: personal-looking values remain in the dump, so it was not stored');
    expect(refused.stderr).toContain('public.tickets.body');
    expect(refused.stderr).not.toContain(PLANTED_EMAIL);
    expect(await readdir(store)).toEqual([]);

    await source.sql(`UPDATE payments SET reference = 'REF-51' WHERE id = 51`);
    try {
      const clean = join(workspace.dir, 'clean.yaml');
      await writeFile(clean, config(source.uri, store, { transformNotes: true, key: true }));
      const stored = await runCli(['-c', clean, 'dump', 'create', '-n', 'clean', '--scan']);
      expect(stored.stderr).toContain('residual scan: 551 rows scanned (sampled), nothing personal-looking found');
      expect(stored.code).toBe(0);
      const verified = await runCli(['-c', clean, 'dump', 'verify', '-v', 'clean', '--scan']);
      expect(verified.stdout).toContain('nothing personal-looking found');
      expect(verified.code).toBe(0);

      const shown = await runCli(['-c', clean, 'dump', 'show', 'clean', '--json']);
      expect(shown.code).toBe(0);
      const manifest = JSON.parse(shown.stdout) as {
        authenticated: boolean;
        provenance: { saltFingerprint: string; planFingerprint: string; strict: boolean; scan: { ran: boolean; findings: number; rowsScanned: number } };
        transformed: Array<{ column: string; algorithm: string; options: unknown }>;
      };
      expect(manifest.authenticated).toBe(true);
      expect(manifest.provenance.scan).toMatchObject({ ran: true, findings: 0, rowsScanned: 551 });
      expect(manifest.provenance.saltFingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(manifest.transformed.find((t) => t.column === 'body')).toMatchObject({ algorithm: 'lorem@1', options: {} });
      expect(shown.stdout).not.toContain('residual-scan-salt');
      const text = await runCli(['-c', clean, 'dump', 'show', 'clean']);
      expect(text.stdout).toContain('authenticated with the config\'s key');
      expect(text.stdout).toMatch(/scan\s+sampled 551 rows scanned, 0 finding\(s\)/);
    } finally {
      await source.sql(`UPDATE payments SET reference = '4111 1111 1111 1111' WHERE id = 51`);
    }
  });

  it('provenance tells dumps made with the same rules and salt apart from others, and is authenticated', async () => {
    const store = join(workspace.dir, 'store-provenance');
    await (await import('node:fs/promises')).mkdir(store);
    const write = async (file: string, yaml: string) => {
      const path = join(workspace.dir, file);
      await writeFile(path, yaml);
      return path;
    };
    const a = await write('a.yaml', config(source.uri, store, { key: true }));
    const b = await write('b.yaml', config(source.uri, store, { key: true, salt: 'another-salt' }));
    const c = await write('c.yaml', config(source.uri, store, { key: true, transformNotes: true }));
    for (const [path, name] of [[a, 'a1'], [a, 'a2'], [b, 'b'], [c, 'c']] as const) {
      expect((await runCli(['-c', path, 'dump', 'create', '-n', name])).code).toBe(0);
    }
    const listed = await runCli(['-c', a, 'dump', 'list', '--json']);
    const dumps = JSON.parse(listed.stdout) as Array<{ name: string; provenance: { saltFingerprint: string; planFingerprint: string; scan: { ran: boolean } } }>;
    const of = (name: string) => dumps.find((d) => d.name === name)!.provenance;
    expect(of('a1')).toEqual(of('a2'));
    expect(of('b').planFingerprint).toBe(of('a1').planFingerprint);
    expect(of('b').saltFingerprint).not.toBe(of('a1').saltFingerprint);
    expect(of('c').saltFingerprint).toBe(of('a1').saltFingerprint);
    expect(of('c').planFingerprint).not.toBe(of('a1').planFingerprint);
    expect(of('a1').scan.ran).toBe(false);

    // Forging the provenance (claiming a scan ran) breaks the manifest's tag.
    const manifestPath = join(store, 'a1', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { provenance: { scan: Record<string, unknown> } };
    manifest.provenance.scan = { ran: true, mode: 'all', rowsScanned: 551, findings: 0 };
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    const forged = await runCli(['-c', a, 'dump', 'show', 'a1']);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/a1/);
  });
});

describe('residual scan on partitions and inheritance children', () => {
  it('knows a transformer named on the parent rewrote every leaf: their fake emails are not findings', async () => {
    const [source, workspace] = await Promise.all([createTestDatabase('residual_parts'), createWorkspace()]);
    try {
      await source.sql(`
        CREATE TABLE events (id int, at date, email text) PARTITION BY RANGE (at);
        CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
        CREATE TABLE events_other PARTITION OF events DEFAULT;
        INSERT INTO events SELECT i, date '2020-01-01' + i, 'person' || i || '@victim.example' FROM generate_series(1, 600) i;
        CREATE TABLE contacts (email text);
        CREATE TABLE contacts_vip (level int) INHERITS (contacts);
        INSERT INTO contacts_vip VALUES ('vip@victim.example', 1);
      `);
      const path = await workspace.writeConfig(`
salt: residual-parts
source:
  connection_uri: ${source.uri}
  transformers:
    - { database: public, table: events, columns: [ { name: email, transformer_name: email } ] }
    - { database: public, table: contacts, columns: [ { name: email, transformer_name: email } ] }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
      const created = await runCli(['-c', path, 'dump', 'create', '-n', 'parts', '--scan']);
      expect(created.stderr).toContain('nothing personal-looking found');
      expect(created.code).toBe(0);
      const verified = await runCli(['-c', path, 'dump', 'verify', '-v', 'parts', '--scan', '--json']);
      const report = JSON.parse(verified.stdout) as { scan: { rowsScanned: number; findings: unknown[] } };
      expect(report.scan).toMatchObject({ rowsScanned: 601, findings: [] });
      expect(verified.code).toBe(0);
    } finally {
      await Promise.all([source.drop(), workspace.remove()]);
    }
  });
});

describe('residual scan on MySQL/MariaDB', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('residual'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(100), note TEXT);
      INSERT INTO customers VALUES (1, 'a@shop.example', 'O\\'Connell said hi'), (2, 'b@shop.example', 'reach me at ${PLANTED_EMAIL}'), (3, 'c@shop.example', NULL);
    `);
  });
  afterAll(async () => {
    await Promise.all([source.drop(), workspace.remove()]);
  });

  it('finds a planted email in an untransformed MySQL column and stays silent on the transformed one', async () => {
    const path = await workspace.writeConfig(`
source:
  connection_uri: ${source.uri}
  transformers:
    - { database: ${source.name}, table: customers, columns: [ { name: email, transformer_name: email } ] }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    expect((await runCli(['-c', path, 'dump', 'create', '-n', 'm'])).code).toBe(0);
    const result = await runCli(['-c', path, 'dump', 'verify', '-v', 'm', '--scan', '--json']);
    const report = JSON.parse(result.stdout) as { scan: { rowsScanned: number; findings: Array<{ column: string; detector: string; values: number }> } };
    expect(report.scan.rowsScanned).toBe(3);
    expect(report.scan.findings).toEqual([expect.objectContaining({ column: 'note', detector: 'email-in-text', values: 1 })]);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(PLANTED_EMAIL);
  });
});

// The card number constant is documentation: make sure the planted one in the test data is Luhn-valid.
it('the planted card is Luhn-valid and the other is not', async () => {
  const { passesLuhn } = await import('../../../src/scan/detectors.js');
  expect(passesLuhn('4111111111111111')).toBe(true);
  expect(passesLuhn(PLANTED_CARD.replace(/\D/g, ''))).toBe(false);
});
