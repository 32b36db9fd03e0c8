import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * #19 item 6: `config check` also checks what `dump create` and `dump restore` would refuse later: a subset
 * `where` condition (run with LIMIT 0 on the source), the datastore (reachable, credentials, writable) and
 * the destination (reachable).
 */
let db: TestDatabase;
let my: MysqlTestDatabase;
let ws: Workspace;
let s3: TestS3Server;

beforeAll(async () => {
  [db, my, ws, s3] = await Promise.all([createTestDatabase('ahead'), createMysqlDatabase('ahead'), createWorkspace(), startS3Server('ahead')]);
  await db.sql(`CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');`);
  await my.sql(`CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada');`);
});

afterAll(async () => {
  await Promise.all([db?.drop(), my?.drop(), ws?.remove(), s3?.remove()]);
});

const subsetWhere = (database: string, condition: string) =>
  [`  database_subset:`, `    database: ${database}`, `    table: customers`, `    strategy_name: where`, `    strategy_options: { condition: ${JSON.stringify(condition)} }`];

async function check(lines: string[]) {
  const path = await ws.writeConfig(`${lines.join('\n')}\n`);
  const result = await runCli(['-c', path, 'config', 'check']);
  const at = (line: number) => result.stderr.split('\n').find((l) => l.startsWith(`${path}:${line}:`));
  return { ...result, at };
}

describe('config check, ahead of dump create', () => {
  it('runs a subset where condition on PostgreSQL: a misspelt column is a problem at its line; a good one passes', async () => {
    const bad = await check(['source:', `  connection_uri: ${db.uri}`, ...subsetWhere('public', "nmae = 'Ada'"), 'datastore:', `  local_disk: { dir: ${ws.storeDir} }`]);
    expect(bad.code).toBe(1);
    expect(bad.at(7)).toMatch(/source\.database_subset\.strategy_options\.condition: the source refuses the condition: .*column "nmae" does not exist/);
    expect(bad.stderr).toMatch(/error: 1 problem in /);
    const good = await check(['source:', `  connection_uri: ${db.uri}`, ...subsetWhere('public', "name = 'Ada'"), 'datastore:', `  local_disk: { dir: ${ws.storeDir} }`]);
    expect(good.stderr).toMatch(/is ready/);
    expect(good.code).toBe(0);
  });

  it('runs a subset where condition on MySQL', async () => {
    const bad = await check(['source:', `  connection_uri: ${my.uri}`, ...subsetWhere(my.name, 'nmae IS NULL'), 'datastore:', `  local_disk: { dir: ${ws.storeDir} }`]);
    expect(bad.code).toBe(1);
    expect(bad.at(7)).toMatch(/strategy_options\.condition: the source refuses the condition: .*Unknown column 'nmae'/);
    const good = await check(['source:', `  connection_uri: ${my.uri}`, ...subsetWhere(my.name, 'name IS NOT NULL'), 'datastore:', `  local_disk: { dir: ${ws.storeDir} }`]);
    expect(good.code, good.stderr).toBe(0);
  });

  it('checks a local datastore: a missing directory, one that cannot be written; a good one is left as it was', async () => {
    const missing = await check(['datastore:', `  local_disk: { dir: ${join(ws.dir, 'nowhere')} }`]);
    expect(missing.code).toBe(1);
    expect(missing.at(2)).toMatch(/datastore\.local_disk: .*nowhere/);
    // /proc refuses new files, even to root.
    const readOnly = await check(['datastore:', `  local_disk: { dir: /proc }`]);
    expect(readOnly.code).toBe(1);
    expect(readOnly.at(2)).toMatch(/datastore\.local_disk: local disk \/proc: cannot write to it: /);
    const good = await check(['datastore:', `  local_disk: { dir: ${ws.storeDir} }`]);
    expect(good.code, good.stderr).toBe(0);
    expect(await readdir(ws.storeDir)).toEqual([]);
  });

  it('checks an S3 datastore: a missing bucket, an unknown access key; a good one is left as it was', async () => {
    const missing = await check(s3.datastoreYaml({ bucket: 'no-such-bucket' }).trimEnd().split('\n'));
    expect(missing.code).toBe(1);
    expect(missing.at(2)).toMatch(/datastore\.aws: cannot open it: .*bucket no-such-bucket does not exist/);
    const denied = await check(s3.datastoreYaml({ accessKey: 'WRONGKEY' }).trimEnd().split('\n'));
    expect(denied.code).toBe(1);
    expect(denied.at(2)).toMatch(/datastore\.aws: cannot open it: .*access denied/);
    expect(denied.stderr).not.toContain('S3RVER'); // the secret is never printed
    const good = await check(s3.datastoreYaml().trimEnd().split('\n'));
    expect(good.code, good.stderr).toBe(0);
    expect(await readdir(join(s3.directory, 'ahead')).catch(() => [])).toEqual([]);
  });

  it('checks the destination: unreachable is a problem at its line, a reachable one passes', async () => {
    const store = ['datastore:', `  local_disk: { dir: ${ws.storeDir} }`];
    const down = await check([...store, 'destination:', '  connection_uri: postgres://postgres:secret-pw@127.0.0.1:1/nothing']);
    expect(down.code).toBe(1);
    expect(down.at(4)).toMatch(/destination\.connection_uri: .*127\.0\.0\.1:1/);
    expect(down.stderr).not.toContain('secret-pw');
    const up = await check([...store, 'destination:', `  connection_uri: ${db.uri}`]);
    expect(up.code, up.stderr).toBe(0);
    const mysqlUp = await check([...store, 'destination:', `  connection_uri: ${my.uri}`]);
    expect(mysqlUp.code, mysqlUp.stderr).toBe(0);
  });
});
