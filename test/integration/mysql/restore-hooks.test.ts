import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump, restoreToScript } from '../../../src/index.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMEOUT = 120_000;

describe('restore hooks (destination.before_restore / after_restore) on MySQL/MariaDB', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;
  const targets: MysqlTestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('hooksrc'), createWorkspace()]);
    await source.sql(`CREATE TABLE users (id int PRIMARY KEY, email varchar(60) NOT NULL, password_hash varchar(60) NOT NULL);
      INSERT INTO users VALUES (1, 'a@x.io', 'h1'), (2, 'b@x.io', 'h2'), (3, 'c@x.io', 'h3')`);
    await mkdir(join(workspace.dir, 'hooks'));
    // A trigger through DELIMITER, as the mysql client reads a script.
    await writeFile(
      join(workspace.dir, 'hooks', 'after.sql'),
      `UPDATE users SET password_hash = 'dev-password';
INSERT INTO users VALUES (1000, 'admin@dev.local', 'dev-password');
DELIMITER ;;
CREATE TRIGGER users_log AFTER INSERT ON users FOR EACH ROW BEGIN INSERT INTO hook_log VALUES ('insert'); END;;
DELIMITER ;
INSERT INTO hook_log VALUES ('after');
`,
    );
    await writeFile(join(workspace.dir, 'hooks', 'broken.sql'), "UPDATE users SET password_hash = 'x';\n\nUPDATE no_such_table SET a = 1;\n");
    await createDump(workspace.config(yamlFor(source.uri, '')), { name: 'hooked' });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((t) => t.drop())]);
  });

  function yamlFor(destination: string, hooks: string): string {
    return `
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination}
${hooks}`;
  }

  async function target(): Promise<MysqlTestDatabase> {
    const db = await createMysqlDatabase('hooktarget');
    targets.push(db);
    return db;
  }

  const config = (destination: string, hooks: string) => ({ ...workspace.config(yamlFor(destination, hooks)), origin: join(workspace.dir, 'conf.yaml') });

  const HOOKS = `  before_restore:
    - CREATE TABLE hook_log (what varchar(20)); INSERT INTO hook_log VALUES ('before')
  after_restore:
    - hooks/after.sql
`;

  it('runs SQL after the wipe and a .sql file (DELIMITER and all) after the rows', { timeout: TIMEOUT }, async () => {
    const db = await target();
    await db.sql('CREATE TABLE hook_log (what varchar(20))'); // the wipe drops it: before_restore runs after the wipe
    await restoreDump(config(db.uri, HOOKS), { value: 'hooked' });
    expect(await db.sql('SELECT DISTINCT password_hash FROM users')).toEqual([{ password_hash: 'dev-password' }]);
    expect(await db.sql('SELECT email FROM users WHERE id = 1000')).toEqual([{ email: 'admin@dev.local' }]);
    expect(await db.sql('SELECT what FROM hook_log ORDER BY what')).toEqual([{ what: 'after' }, { what: 'before' }]);
    await db.sql("INSERT INTO users VALUES (5, 'e@x.io', 'h')");
    expect(await db.sql("SELECT COUNT(*) AS n FROM hook_log WHERE what = 'insert'")).toEqual([{ n: 1 }]);
  });

  it('a failing hook fails the restore, naming the hook and its line', { timeout: TIMEOUT }, async () => {
    const db = await target();
    const error = await restoreDump(config(db.uri, '  after_restore:\n    - hooks/broken.sql\n'), { value: 'hooked' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/hook destination\.after_restore\[0\] failed at hooks\/broken\.sql:3: Table '.*no_such_table' doesn't exist: UPDATE no_such_table SET a = 1/);
    const inline = await restoreDump(config(db.uri, '  before_restore:\n    - SELECT 1; SELECT * FROM nowhere\n'), { value: 'hooked' }).catch((e: Error) => e);
    expect((inline as Error).message).toMatch(/hook destination\.before_restore\[0\] failed at .*conf\.yaml:10: Table '.*nowhere' doesn't exist/);
    // before_restore failed before the dump's first part: the wipe ran (MySQL commits DDL at once), no table came back.
    expect(await db.sql("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")).toEqual([{ n: 0 }]);
  });

  it('-o writes the hooks into the mysql script, after the session setup and after the rows', { timeout: TIMEOUT }, async () => {
    const output = new PassThrough();
    const pieces: Buffer[] = [];
    output.on('data', (piece: Buffer) => pieces.push(piece));
    await restoreToScript(config(source.uri, HOOKS), { value: 'hooked', output });
    const script = Buffer.concat(pieces).toString('utf8');
    const before = script.indexOf('-- hook destination.before_restore[0]');
    const data = script.indexOf('INSERT INTO `users`');
    const after = script.indexOf('-- hook destination.after_restore[0] (hooks/after.sql:1)');
    expect(Math.min(before, data, after), script.slice(0, 2000)).toBeGreaterThanOrEqual(0);
    expect(before < data && data < after).toBe(true);
    const db = await target();
    const loaded = db.client(script);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(await db.sql('SELECT COUNT(*) AS n FROM users WHERE password_hash = \'dev-password\'')).toEqual([{ n: 4 }]);
  });
});
