import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, openDatastore, readManifest, restoreDump, restoreToScript, verifyDump } from '../../../src/index.js';
import { DumpWriter } from '../../../src/dump/dump-writer.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMEOUT = 280_000;

function mariadbDump(db: MysqlTestDatabase, flags: string[]): Buffer {
  const args = db.clientArgs().slice(0, -2);
  const result = spawnSync(MYSQL_DUMP, [...args, '--routines', '--events', ...flags], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${MYSQL_DUMP}: ${result.stderr.toString()}`);
  return result.stdout;
}

function pgDump(db: TestDatabase, flags: string[] = []): string {
  const result = spawnSync('pg_dump', ['-d', db.uri, ...flags], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`pg_dump: ${result.stderr}`);
  return result.stdout;
}

async function databaseExists(db: MysqlTestDatabase): Promise<boolean> {
  const probe = await createMysqlDatabase('probe');
  try {
    return (await probe.sql('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db.name])).length === 1;
  } finally {
    await probe.drop();
  }
}

async function printed(config: ReturnType<Workspace['config']>, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  const output = new (await import('node:stream')).Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await restoreToScript(config, { value: name, output });
  return Buffer.concat(chunks).toString('utf8');
}

describe('a dump script only ever acts on the destination database', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('hsrc'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE customers (id int PRIMARY KEY, name varchar(40));
      INSERT INTO customers VALUES (1, 'O\\'Connell'), (2, 'Smith'), (3, 'Brown');
      CREATE VIEW customer_names AS SELECT name FROM customers;
      CREATE PROCEDURE count_customers() SELECT COUNT(*) FROM customers;`);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  const yaml = (destination: string) => `datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${destination}\n`;

  it('leaves out DROP/CREATE DATABASE and USE of `mariadb-dump --databases --add-drop-database`: the source survives the restore and -o', { timeout: TIMEOUT }, async () => {
    const destination = await createMysqlDatabase('hdst');
    try {
      const script = mariadbDump(source, ['--databases', '--add-drop-database', source.name]);
      expect(script.toString()).toContain(`/*!40000 DROP DATABASE IF EXISTS \`${source.name}\`*/`);
      const configPath = await workspace.writeConfig(yaml(destination.uri));
      const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'databases'], { input: script, timeoutMs: TIMEOUT });
      expect(created.code, created.stderr).toBe(0);
      const config = workspace.config(yaml(destination.uri));
      await restoreDump(config, { value: 'databases' });
      expect(await databaseExists(source)).toBe(true);
      expect(await destination.sql('SELECT name FROM customer_names ORDER BY name')).toEqual([{ name: 'Brown' }, { name: "O'Connell" }, { name: 'Smith' }]);

      expect(await printed(config, 'databases')).not.toMatch(/DROP DATABASE|CREATE DATABASE|^USE /im);
      expect(created.stderr).toMatch(new RegExp(`line \\d+: \`/\\*!40000 DROP DATABASE IF EXISTS \`${source.name}\`\\*/\`: left out \\(it drops the database ${source.name}\\)`));
    } finally {
      await destination.drop();
    }
  });

  it('refuses, with its line, a statement on another database (versioned comments, routines, triggers, INSERT); nothing is stored', { timeout: TIMEOUT }, async () => {
    const configPath = await workspace.writeConfig(yaml(source.uri));
    const good = mariadbDump(source, [source.name]).toString();
    const trailerLine = good.split('\n').findIndex((line) => line.startsWith('-- Dump completed')) + 1;
    const cases = [
      { sql: '/*!50001 CREATE VIEW `v2` AS select 1 AS `x` from `prod`.`users` */;', what: 'names prod.users, in the database prod' },
      { sql: 'DELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE other_db.x()\nSELECT 1 ;;\nDELIMITER ;', what: 'names other_db.x, in the database other_db', offset: 1 },
      { sql: '/*!50003 CREATE*/ /*!50003 TRIGGER t2 AFTER INSERT ON customers FOR EACH ROW DELETE FROM prod.users */;', what: 'names prod.users, in the database prod' },
      { sql: "INSERT INTO `prod`.`users` VALUES (1,'x');", what: 'names prod.users, in the database prod' },
      { sql: '\\! touch /tmp/replibyte-should-not-exist', what: 'holds the mysql client command \\!' },
      { sql: "GRANT ALL ON *.* TO 'intruder'@'%';", what: 'is a server-wide GRANT statement' },
      { sql: 'INSERT INTO `customers` VALUES (9,(SELECT email FROM prod.users LIMIT 1));', what: 'INSERT INTO customers, row 1: a value names prod.users, in the database prod' },
      { sql: "INSERT INTO `customers` VALUES (10,LOAD_FILE('/etc/passwd'));", what: 'a value reads a file of the server (LOAD_FILE)' },
    ];
    for (const { sql, what, offset } of cases) {
      // Before the trailer, as if mariadb-dump had written it.
      const input = good.replace(/\n-- Dump completed/, `\n${sql}\n-- Dump completed`);
      const result = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'refused'], { input, timeoutMs: TIMEOUT });
      expect(result.code, sql).toBe(1);
      expect(result.stderr, sql).toContain(what);
      expect(result.stderr, sql).toContain(`mysql script on stdin, line ${trailerLine + (offset ?? 0)}: `);
      expect(result.stderr, sql).toContain('nothing was stored');
    }
    const list = await runCli(['-c', configPath, 'dump', 'list']);
    expect(list.stdout).not.toContain('refused');
  });

  it('refuses to restore (or print) an older dump that holds DROP DATABASE, before touching anything', { timeout: TIMEOUT }, async () => {
    const destination = await createMysqlDatabase('hold');
    try {
      await destination.sql('CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1)');
      const config = workspace.config(yaml(destination.uri));
      // A dump as replibyte 0.x stored it from `mariadb-dump --databases --add-drop-database`.
      const datastore = await openDatastore(config);
      const writer = await DumpWriter.begin(datastore, { name: 'old-dump', compression: 'none' });
      await writer.writePart({ kind: 'sql', section: 'pre-data', label: 'script statements (1)', encoding: 'mysql-sql' }, Readable.from([Buffer.from(`/*!40101 SET NAMES utf8mb4 */;\n/*!40000 DROP DATABASE IF EXISTS \`${source.name}\`*/;\nCREATE TABLE t (id int);\n`)]));
      await writer.commit({ engine: { kind: 'mariadb' }, source: { kind: 'script', database: source.name }, schemas: [source.name], transformed: [] });
      await datastore.close();

      const error = (await restoreDump(config, { value: 'old-dump' }).catch((e: Error) => e)) as Error;
      expect(error.message).toBe(`dump old-dump, script statements (1), line 2: \`/*!40000 DROP DATABASE IF EXISTS \`${source.name}\`*/\` drops the database ${source.name}: it reaches outside the destination database, so the restore is refused; nothing was touched`);
      expect(await databaseExists(source)).toBe(true);
      expect(await destination.sql('SELECT id FROM keep_me')).toEqual([{ id: 1 }]);
      await expect(printed(config, 'old-dump')).rejects.toThrow(/drops the database/);
    } finally {
      await destination.drop();
    }
  });

  it('pg_dump scripts: DROP/ALTER DATABASE and COMMENT ON DATABASE are left out, -C scripts are read, a second database is refused', { timeout: TIMEOUT }, async () => {
    const [pgSource, pgTarget, other] = await Promise.all([createTestDatabase('hpgsrc'), createTestDatabase('hpgdst'), createTestDatabase('hpgother')]);
    try {
      await pgSource.sql(`CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'O''Connell'); COMMENT ON DATABASE ${pgSource.name} IS 'prod'`);
      const configPath = await workspace.writeConfig(yaml(pgTarget.uri));
      // A script that names another database on the destination server.
      const plain = pgDump(pgSource).replace('SET statement_timeout = 0;', `SET statement_timeout = 0;\nALTER DATABASE ${other.name} SET work_mem TO '1MB';\nDROP DATABASE IF EXISTS ${other.name};`);
      const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pg-plain'], { input: plain, timeoutMs: TIMEOUT });
      expect(created.code, created.stderr).toBe(0);
      expect(created.stderr).toContain(`left out \`DROP DATABASE IF EXISTS ${other.name};\` (it drops the database ${other.name})`);
      const config = workspace.config(yaml(pgTarget.uri));
      expect(await printed(config, 'pg-plain')).not.toMatch(/(DROP|ALTER|CREATE) DATABASE/);
      await restoreDump(config, { value: 'pg-plain' });
      expect(await other.sql('SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()')).toEqual([]);

      // pg_dump -C --clean: its database statements and \connect are left out, its name recorded.
      const withCreate = pgDump(pgSource, ['-C', '--clean', '--if-exists']);
      const createdC = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pg-create'], { input: withCreate, timeoutMs: TIMEOUT });
      expect(createdC.code, createdC.stderr).toBe(0);
      const datastore = await openDatastore(config);
      expect((await readManifest(datastore, 'pg-create')).source).toEqual({ kind: 'script', database: pgSource.name });
      await datastore.close();
      const script = await printed(config, 'pg-create');
      expect(script).not.toMatch(/(DROP|ALTER|CREATE|COMMENT ON) DATABASE|\\connect/);
      await restoreDump(config, { value: 'pg-create' });
      expect(await pgTarget.sql('SELECT name FROM t')).toEqual([{ name: "O'Connell" }]);
      expect(await pgSource.sql(`SELECT 1 AS present FROM pg_database WHERE datname = '${pgSource.name}'`)).toEqual([{ present: 1 }]);

      const twoDatabases = `${withCreate}\n\\connect ${other.name}\nCREATE TABLE u (id int);\n`;
      const refused = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pg-two'], { input: twoDatabases, timeoutMs: TIMEOUT });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`switches from the database ${pgSource.name} to ${other.name}`);
    } finally {
      await Promise.all([pgSource.drop(), pgTarget.drop(), other.drop()]);
    }
  });

  it('refuses a script cut at a statement boundary (no `-- Dump completed`), unless --allow-truncated; pg_dump scripts too', { timeout: TIMEOUT }, async () => {
    const configPath = await workspace.writeConfig(yaml(source.uri));
    const full = mariadbDump(source, [source.name]).toString();
    const cut = full.slice(0, full.indexOf('\n--\n-- Dumping routines'));
    // mariadb-dump writes the view's stand-in, the table, its rows, then events and routines.
    const lastLine = cut.slice(0, cut.lastIndexOf('\nUNLOCK TABLES') + 1).split('\n').length;
    const refused = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'cut'], { input: cut, timeoutMs: TIMEOUT });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the mysql script on stdin does not end with mysqldump's \`-- Dump completed\` line, so it may be cut short: it ends in \`UNLOCK TABLES\` on line ${lastLine}; nothing was stored`);
    expect((await runCli(['-c', configPath, 'dump', 'list'])).stdout).not.toContain('cut');

    const allowed = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'cut', '--allow-truncated'], { input: cut, timeoutMs: TIMEOUT });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('stored anyway (--allow-truncated)');
    const config = workspace.config(yaml(source.uri));
    const datastore = await openDatastore(config);
    expect((await readManifest(datastore, 'cut')).source).toMatchObject({ kind: 'script', truncated: true });
    await datastore.close();

    // replibyte's own -o script ends as mysqldump's does: it can be read back.
    const again = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'reread'], { input: await printed(config, 'cut'), timeoutMs: TIMEOUT });
    expect(again.code, again.stderr).toBe(0);

    const pgSource = await createTestDatabase('hpgcut');
    try {
      await pgSource.sql('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); CREATE VIEW v AS SELECT id FROM t');
      const script = pgDump(pgSource);
      const pgCut = script.slice(0, script.indexOf('\n--\n-- Name: t t_pkey'));
      const pgRefused = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pgcut'], { input: pgCut, timeoutMs: TIMEOUT });
      expect(pgRefused.code).toBe(1);
      expect(pgRefused.stderr).toMatch(/the script on stdin does not end with pg_dump's `-- PostgreSQL database dump complete` line, so it may be cut short: it ends in `COPY public.t \(id\) FROM stdin;` on line \d+; nothing was stored/);
      const pgAllowed = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pgcut', '--allow-truncated'], { input: pgCut, timeoutMs: TIMEOUT });
      expect(pgAllowed.code, pgAllowed.stderr).toBe(0);
      const pgWhole = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pgwhole'], { input: script, timeoutMs: TIMEOUT });
      expect(pgWhole.code, pgWhole.stderr).toBe(0);
    } finally {
      await pgSource.drop();
    }
  });

  it('dump verify reads MySQL parts with MySQL quoting, counts the rows of multi-row INSERTs, and fails a dump of a cut-short script', { timeout: TIMEOUT }, async () => {
    const configPath = await workspace.writeConfig(yaml(source.uri));
    const config = workspace.config(yaml(source.uri));
    const script = mariadbDump(source, [source.name]);
    expect(script.toString()).toContain("(1,'O\\'Connell')");
    const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'verify-script'], { input: script, timeoutMs: TIMEOUT });
    expect(created.code, created.stderr).toBe(0);
    const fromScript = await verifyDump(config, { value: 'verify-script' });
    expect(fromScript.fault).toBeUndefined();
    expect(fromScript.rows).toBe(3);
    expect(fromScript.parts.find((part) => part.kind === 'table-data')).toMatchObject({ label: `${source.name}.customers`, rows: 3, statements: 1 });

    await createDump(workspace.config(`source:\n  connection_uri: ${source.uri}\n${yaml(source.uri)}`), { name: 'verify-live' });
    const live = await verifyDump(config, { value: 'verify-live' });
    expect(live.fault).toBeUndefined();
    expect(live.rows).toBe(3);

    // As an older replibyte stored a script cut after its rows: no `-- Dump completed` at its end.
    const datastore = await openDatastore(config);
    const writer = await DumpWriter.begin(datastore, { name: 'verify-cut', compression: 'none' });
    await writer.writePart({ kind: 'sql', section: 'pre-data', label: 'script statements (1)', encoding: 'mysql-sql' }, Readable.from([Buffer.from('CREATE TABLE `t` (`id` int, `name` text);\n')]));
    await writer.writePart({ kind: 'table-data', section: 'data', label: 't', table: 't', columns: ['id', 'name'], encoding: 'mysql-sql' }, Readable.from([Buffer.from("INSERT INTO `t` VALUES (1,'O\\'Connell;'),\n(2,'x');\n")]));
    await writer.commit({ engine: { kind: 'mariadb' }, source: { kind: 'script', database: source.name }, schemas: [source.name], transformed: [] });
    await datastore.close();
    const cut = await verifyDump(config, { value: 'verify-cut' });
    expect(cut.rows).toBe(2);
    expect(cut.fault?.message).toMatch(/does not end with mysqldump's `-- Dump completed` line: it was cut short/);
  });
});
