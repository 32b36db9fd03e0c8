import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

let db: TestDatabase;
let ws: Workspace;

beforeAll(async () => {
  db = await createTestDatabase('check');
  ws = await createWorkspace();
  await db.sql(`
    CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL, first_name text, age integer, phone text);
    CREATE TABLE events (at timestamptz, payload jsonb);
    INSERT INTO customers (email, first_name, age, phone) VALUES
      ('ada@example.com', 'Ada', 36, '+44 20 7946 0958'), ('grace@example.org', 'Grace', 45, '+1 212 555 0100'), ('linus@example.net', 'Linus', 29, NULL);`);
});

afterAll(async () => {
  await db?.drop();
  await ws?.remove();
});

/** Line numbers below are those of this text (1-based). */
function brokenConfig(uri: string): string {
  return [
    `source:`, // 1
    `  connection_uri: ${uri}`, // 2
    `  transformers:`, // 3
    `    - database: public`, // 4
    `      table: customerz`, // 5: unknown table
    `      columns:`, // 6
    `        - { name: email, transformer_name: email }`, // 7
    `    - database: public`, // 8
    `      table: customers`, // 9
    `      columns:`, // 10
    `        - name: emial`, // 11: unknown column
    `          transformer_name: email`, // 12
    `        - name: first_name`, // 13
    `          transformer_name: frist-name`, // 14: unknown transformer
    `        - name: age`, // 15
    `          transformer_name: email`, // 16: email cannot write an integer
    `        - name: phone`, // 17
    `          transfomer_name: redacted`, // 18: misspelt key
    `  skip_data:`, // 19
    `    - { database: public, table: audit_log }`, // 20: no such table
    `  database_subset:`, // 21
    `    database: public`, // 22
    `    table: events`, // 23: no primary key
    `    strategy_name: random`, // 24
    `datastore:`, // 25
    `  local_disk: { dir: ${ws.storeDir} }`, // 26
    ``,
  ].join('\n');
}

describe('config check', () => {
  it('reports every planted mistake in one run, each with its line', async () => {
    const path = await ws.writeConfig(brokenConfig(db.uri));
    const result = await runCli(['-c', path, 'config', 'check']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    const at = (line: number) => lines.find((l) => l.startsWith(`${path}:${line}:`));
    expect(at(5)).toMatch(/source\.transformers\[0\]\.table: no table public\.customerz in the source/);
    expect(at(11)).toMatch(/columns\[0\]\.name: no column emial in public\.customers/);
    expect(at(14)).toMatch(/unknown transformer frist-name \(did you mean "first-name"\?\)/);
    expect(at(16)).toMatch(/email cannot transform public\.customers\.age \(integer\): it writes text$/m);
    expect(at(18)).toMatch(/columns\[3\]\.transfomer_name: unknown key \(did you mean "transformer_name"\?\)/);
    expect(at(20)).toMatch(/skip_data\[0\]: no table public\.audit_log/);
    expect(at(23)).toMatch(/database_subset\.table: public\.events has no primary key/);
    expect(result.stderr).toMatch(/error: 8 problems in .*conf\.yaml \(checked against postgres:\/\/postgres@127\.0\.0\.1:5432\//);
  });

  it('passes a good config and previews transformed rows before and after', async () => {
    const path = await ws.writeConfig(
      [
        'salt: fixed-salt-for-the-test',
        'source:',
        `  connection_uri: ${db.uri}`,
        '  transformers:',
        '    - database: public',
        '      table: customers',
        '      columns:',
        '        - { name: email, transformer_name: email }',
        '        - { name: phone, transformer_name: redacted }',
        'datastore:',
        `  local_disk: { dir: ${ws.storeDir} }`,
        '',
      ].join('\n'),
    );
    const result = await runCli(['-c', path, 'config', 'check', '--preview', '2']);
    expect(result.stderr).toMatch(/is ready \(checked against/);
    expect(result.code).toBe(0);
    const [title, header, , first, second, third] = result.stdout.trim().split('\n');
    expect(title).toBe('public.customers');
    expect(header).toMatch(/^email \(before\) +\| email \(after\) +\| phone \(before\) +\| phone \(after\)$/);
    expect(first).toMatch(/^ada@example\.com +\| \S+@\S+ +\| \+44 20 7946 0958 \| \+44\*{10}$/);
    expect(first).not.toMatch(/\| ada@example\.com/);
    expect(second).toMatch(/^grace@example\.org/);
    expect(third).toBeUndefined();
  });

  it('loads custom transformer modules as dump create does: a valid one passes and previews, a missing one is a problem at its line', async () => {
    const module = fileURLToPath(new URL('../../fixtures/transformers/domain-keeper.mjs', import.meta.url));
    const config = (path: string) =>
      [
        'salt: fixed-salt-for-the-test',
        'source:',
        `  connection_uri: ${db.uri}`,
        '  transformers:',
        '    - database: public',
        '      table: customers',
        '      columns:',
        '        - name: email',
        '          transformer_name: custom',
        `          transformer_options: { module: ${JSON.stringify(path)}, options: { domain: dev.test } }`, // 10
        'datastore:',
        `  local_disk: { dir: ${ws.storeDir} }`,
        '',
      ].join('\n');
    const good = await ws.writeConfig(config(module));
    const passed = await runCli(['-c', good, 'config', 'check', '--preview', '1']);
    expect(passed.stderr).toMatch(/is ready/);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/ada@example\.com +\| [0-9a-f]{10}@dev\.test/);

    const missing = await ws.writeConfig(config(`${module}.gone`));
    const refused = await runCli(['-c', missing, 'config', 'check']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/conf\.yaml:10:\d+: source\.transformers\[0\]\.columns\[0\]\.transformer_options\.module: custom transformer .*domain-keeper\.mjs\.gone could not be loaded/);
  });
});
