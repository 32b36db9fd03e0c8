import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, MYSQL_ADMIN_URI, type MysqlTestDatabase } from '../../support/mysql.js';
import { runCli } from '../../support/cli.js';
import { startCli, storedFiles } from '../../support/running-cli.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import mysql from 'mysql2/promise';

/** Waits (bounded) for a connection of the database running a query like `infoLike`, and kills it. */
async function killConnectionWhen(database: string, infoLike: string, timeoutMs = 30_000): Promise<void> {
  const admin = await mysql.createConnection(MYSQL_ADMIN_URI);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE ? LIMIT 1', [database, infoLike]);
      if (rows[0]) {
        await admin.query(`KILL CONNECTION ${Number(rows[0].id)}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`no connection on ${database} running ${infoLike} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await admin.end();
  }
}

async function connectionsOf(database: string): Promise<number> {
  const admin = await mysql.createConnection(MYSQL_ADMIN_URI);
  try {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [database]);
    return Number(rows[0]!.n);
  } finally {
    await admin.end();
  }
}

/**
 * A MySQL connection the server kills mid-dump (KILL CONNECTION_ID) ends the run with one line naming
 * the server: no "Unhandled 'error' event", no silent exit 0, the chunks removed.
 */
describe('a MySQL source connection killed by the server', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;
  let config: string;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('mydrop'), createWorkspace()]);
    await source.sql('CREATE TABLE t (id int PRIMARY KEY, v varchar(64)); INSERT INTO t SELECT seq, md5(seq) FROM seq_1_to_1000000;');
    config = await workspace.writeConfig(`
salt: drop-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  it('dump create: one line naming the server, exit 1, chunks removed, no connection left', async () => {
    const run = startCli(['-c', config, 'dump', 'create', '-n', 'dropped']);
    await killConnectionWhen(source.name, 'SELECT%FROM `t`%');
    const exit = await run.exit(30_000);
    expect(exit.stderr).toMatch(new RegExp(`^error: connection to source 127\\.0\\.0\\.1:3306/${source.name} was terminated by the server \\((PROTOCOL_CONNECTION_LOST|ER_CONNECTION_KILLED)\\)$`, 'm'));
    expect(exit.stderr).not.toMatch(/Unhandled| {4}at /);
    expect(exit.code).toBe(1);
    expect(await connectionsOf(source.name)).toBe(0);
    expect(await storedFiles(workspace.storeDir)).toEqual([]);
    const list = await runCli(['-c', config, 'dump', 'list', '--json'], { timeoutMs: 20_000 });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
