import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, openDatastore, readManifest, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMEOUT = 280_000;

function mariadbDump(db: MysqlTestDatabase): Buffer {
  const result = spawnSync(MYSQL_DUMP, [...db.clientArgs().slice(0, -2), '--routines', db.name], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${MYSQL_DUMP}: ${result.stderr.toString()}`);
  return result.stdout;
}

describe('a restore never lands in the database the dump came from', () => {
  let workspace: Workspace;

  beforeAll(async () => {
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await workspace?.remove();
  });

  const yaml = (destination: string, source?: string) =>
    `${source ? `source:\n  connection_uri: ${source}\n` : ''}datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${destination}\n`;

  it('refuses a mariadb-dump script dump restored into the database the script names, before touching it; --confirm-not-source overrides', { timeout: TIMEOUT }, async () => {
    const production = await createMysqlDatabase('hprod');
    try {
      await production.sql("CREATE TABLE customers (id int PRIMARY KEY, email varchar(60)); INSERT INTO customers VALUES (1, 'real@example.com'), (2, 'also@example.com'); CREATE VIEW emails AS SELECT email FROM customers");
      const configPath = await workspace.writeConfig(yaml(production.uri));
      const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'prod-script'], { input: mariadbDump(production), timeoutMs: TIMEOUT });
      expect(created.code, created.stderr).toBe(0);
      const config = workspace.config(yaml(production.uri));
      const datastore = await openDatastore(config);
      expect((await readManifest(datastore, 'prod-script')).source).toEqual({ kind: 'script', database: production.name });
      await datastore.close();

      const refused = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'prod-script'], { timeoutMs: TIMEOUT });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`its database ${production.name} has the name of the database the script of dump prod-script was taken from, and already holds its tables with rows (customers): it may be that very database`);
      expect(refused.stderr).toMatch(/\nnothing was changed in destination mysql:/);
      expect(refused.stderr).not.toContain('partial');
      expect(refused.stderr).toContain('--confirm-not-source');
      expect(await production.sql('SELECT email FROM emails ORDER BY email')).toEqual([{ email: 'also@example.com' }, { email: 'real@example.com' }]);

      // Told it is not the source, the restore goes ahead.
      await production.sql("UPDATE customers SET email = 'changed@example.com' WHERE id = 1");
      await restoreDump(config, { value: 'prod-script', confirmNotSource: true });
      expect(await production.sql('SELECT email FROM customers ORDER BY id')).toEqual([{ email: 'real@example.com' }, { email: 'also@example.com' }]);

      // A database of that name without the dump's rows (a new one elsewhere) is restored into.
      await production.sql('DROP VIEW emails; DROP TABLE customers');
      await restoreDump(config, { value: 'prod-script' });
      expect(await production.sql('SELECT COUNT(*) AS n FROM emails')).toEqual([{ n: 2 }]);
    } finally {
      await production.drop();
    }
  });

  it('refuses a pg_dump -C script dump restored into the database it names', { timeout: TIMEOUT }, async () => {
    const production = await createTestDatabase('hpgprod');
    try {
      await production.sql("CREATE TABLE customers (id int PRIMARY KEY, email text); INSERT INTO customers VALUES (1, 'real@example.com')");
      const script = spawnSync('pg_dump', ['-C', '-d', production.uri], { encoding: 'utf8', maxBuffer: 1 << 30 });
      expect(script.status, script.stderr).toBe(0);
      const configPath = await workspace.writeConfig(yaml(production.uri));
      const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'pg-prod-script'], { input: script.stdout, timeoutMs: TIMEOUT });
      expect(created.code, created.stderr).toBe(0);
      const config = workspace.config(yaml(production.uri));
      const error = (await restoreDump(config, { value: 'pg-prod-script' }).catch((e: Error) => e)) as Error;
      expect(error.message).toContain(`its database ${production.name} has the name of the database the script of dump pg-prod-script was taken from, and already holds its tables with rows ("public"."customers")`);
      expect(error.message).toContain('nothing was changed');
      expect(await production.sql('SELECT email FROM customers')).toEqual([{ email: 'real@example.com' }]);
    } finally {
      await production.drop();
    }
  });

  it('says nothing was changed when a live dump is refused by its own source', { timeout: TIMEOUT }, async () => {
    const production = await createMysqlDatabase('hlive');
    try {
      await production.sql('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
      const config = workspace.config(yaml(production.uri, production.uri));
      await createDump(config, { name: 'live-self' });
      const error = (await restoreDump(config, { value: 'live-self' }).catch((e: Error) => e)) as Error;
      expect(error.message).toContain('it is the database dump live-self was taken from');
      expect(error.message).toContain(`nothing was changed in destination`);
      expect(error.message).not.toContain('partial');
    } finally {
      await production.drop();
    }
  });

  it('recreates views, triggers and routines of a live dump under their own client character set and collation', { timeout: TIMEOUT }, async () => {
    const [source, target] = await Promise.all([createMysqlDatabase('hcs'), createMysqlDatabase('hcsdst')]);
    try {
      await source.sql(`
        CREATE TABLE t (id int PRIMARY KEY, name varchar(20));
        SET NAMES utf8mb3 COLLATE utf8mb3_unicode_ci;
        CREATE VIEW v AS SELECT name FROM t WHERE name <> 'x';
        CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.name = LOWER(NEW.name);
        CREATE PROCEDURE p() SELECT COUNT(*) FROM t;
        CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 1;
        SET NAMES latin1;
        CREATE PROCEDURE p_latin1() SELECT 'plain ascii';`);
      const settings = (db: MysqlTestDatabase) =>
        db.sql(`SELECT 'view' AS kind, TABLE_NAME AS name, CHARACTER_SET_CLIENT AS cs, COLLATION_CONNECTION AS coll FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
          UNION ALL SELECT 'trigger', TRIGGER_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
          UNION ALL SELECT 'routine', ROUTINE_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
          ORDER BY 1, 2`);
      const before = await settings(source);
      expect(before).toContainEqual({ kind: 'view', name: 'v', cs: 'utf8mb3', coll: 'utf8mb3_unicode_ci' });
      const config = workspace.config(yaml(target.uri, source.uri));
      await createDump(config, { name: 'charsets' });
      await restoreDump(config, { value: 'charsets' });
      expect(await settings(target)).toEqual(before);
    } finally {
      await Promise.all([source.drop(), target.drop()]);
    }
  });

  it('connects to an IPv6 literal in brackets, and says a missing source database does not exist', async () => {
    const ipv6 = workspace.config(yaml('mysql://root@127.0.0.1:3306/x', 'mysql://root@[::1]:3306/app'));
    // Nothing listens on ::1 here: the driver got the address (not "unknown host").
    await expect(createDump(ipv6, { name: 'ipv6' })).rejects.toThrow('cannot connect to the source mysql://root@[::1]:3306/app: connection refused (is the server running?)');
    const missing = workspace.config(yaml('mysql://root@127.0.0.1:3306/x', 'mysql://root@127.0.0.1:3306/no_such_source_db'));
    const error = (await createDump(missing, { name: 'missing' }).catch((e: Error) => e)) as Error & { hint?: string };
    expect(error.message).toBe('cannot connect to the source mysql://root@127.0.0.1:3306/no_such_source_db: the source database no_such_source_db does not exist on 127.0.0.1:3306');
    expect(error.hint).toBeUndefined();
  });
});
