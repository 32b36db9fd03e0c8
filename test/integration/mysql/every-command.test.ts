import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/*
 * The commands around dump and restore, on MySQL/MariaDB as on PostgreSQL (test/integration/newcomer/):
 * config check (+ --preview), source schema, source scan, init, dump verify. Each dispatches through the
 * engine table (src/engines/index.ts).
 */
let db: MysqlTestDatabase;
let ws: Workspace;

beforeAll(async () => {
  [db, ws] = await Promise.all([createMysqlDatabase('cmds'), createWorkspace()]);
  const rows = Array.from({ length: 60 }, (_, i) => `(${i + 1}, 'person${i}@example.com', 'O''Connell ${i}', '+44 20 7946 ${String(1000 + i)}', ${i * 1.5})`);
  await db.sql(`
    CREATE TABLE customers (id int PRIMARY KEY, email varchar(120), name varchar(80), phone varchar(40), balance decimal(8,2));
    CREATE VIEW rich AS SELECT id FROM customers WHERE balance > 10;
    INSERT INTO customers VALUES ${rows.join(', ')};`);
});

afterAll(async () => {
  await Promise.all([db?.drop(), ws?.remove()]);
});

const configWith = (columns: string) =>
  ws.writeConfig(
    [
      'salt: fixed-salt-for-the-test',
      'source:',
      `  connection_uri: ${db.uri}`,
      '  transformers:',
      `    - database: ${db.name}`,
      '      table: customers',
      '      columns:',
      columns,
      'datastore:',
      `  local_disk: { dir: ${ws.storeDir} }`,
      '',
    ].join('\n'),
  );

describe('MySQL/MariaDB: every command', () => {
  it('config check names an unknown column against the live schema, then previews a good config before and after', async () => {
    const bad = await configWith('        - { name: emial, transformer_name: email }');
    const refused = await runCli(['-c', bad, 'config', 'check']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/emial/);
    const good = await configWith('        - { name: email, transformer_name: email }\n        - { name: name, transformer_name: redacted }');
    const result = await runCli(['-c', good, 'config', 'check', '--preview', '2']);
    expect(result.stderr).toMatch(/is ready \(checked against mysql:\/\//);
    expect(result.code).toBe(0);
    const [title, header, , first, second, third] = result.stdout.trim().split('\n');
    expect(title).toBe(`${db.name}.customers`);
    expect(header).toMatch(/^email \(before\) +\| email \(after\) +\| name \(before\) +\| name \(after\)$/);
    expect(first).toMatch(/^person0@example\.com +\| \S+@\S+ +\| O'Connell 0 +\| O'C\*+$/);
    expect(first).not.toMatch(/\| person0@example\.com/);
    expect(second).toMatch(/^person1@example\.com/);
    expect(third).toBeUndefined();
  });

  it('source schema lists the tables, views and columns', async () => {
    const path = await configWith('        - { name: email, transformer_name: email }');
    const result = await runCli(['-c', path, 'source', 'schema']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${db.name}.customers\n  id  int`);
    expect(result.stdout).toContain('  email  varchar(120)');
    expect(result.stdout).toContain(`${db.name}.rich  (view)`);
  });

  it('source scan flags the email and phone columns, and init writes a config that checks', async () => {
    const scan = await runCli(['source', 'scan', '--uri', db.uri, '--json']);
    expect(scan.code).toBe(0);
    const flagged = (JSON.parse(scan.stdout) as { findings: Array<{ column: string }> }).findings.map((f) => f.column);
    expect(flagged).toEqual(expect.arrayContaining(['email', 'phone']));
    expect(flagged).not.toContain('balance');
    const path = join(ws.dir, 'init.yaml');
    const init = await runCli(['init', '--uri', db.uri, '-o', path]);
    expect(init.code).toBe(0);
    expect(await readFile(path, 'utf8')).not.toContain(db.uri);
    await mkdir(join(ws.dir, 'dumps'), { recursive: true }); // the starter config's datastore, which must exist
    const check = await runCli(['-c', path, 'config', 'check'], { cwd: ws.dir, env: { SOURCE_DATABASE_URL: db.uri, TRANSFORMER_SALT: 'test-salt' } });
    expect(check.stderr).toMatch(/is ready \(checked against/);
    expect(check.code).toBe(0);
  }, 300_000);

  it("dump verify reads a MySQL dump with MySQL's quoting and counts its true rows", async () => {
    const path = await configWith('        - { name: email, transformer_name: email }');
    const created = await runCli(['-c', path, 'dump', 'create', '-n', 'cmds']);
    expect(created.code).toBe(0);
    const verified = await runCli(['-c', path, 'dump', 'verify', '-v', 'cmds', '--json']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/"rows":\s*60/);
  });
});
