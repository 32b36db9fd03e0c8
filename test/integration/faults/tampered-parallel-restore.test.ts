import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../src/dump/manifest.js';
import { runCli } from '../../support/cli.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * A dump whose last-loaded table has a damaged chunk must not commit a row, nor the wipe, whatever
 * `--jobs` is and whatever the destination: docs/format.md promises damage is reported "before a row is
 * committed". Before the fix, --jobs 2 committed the wipe, the schema and every other table first.
 */

const KEY = 'correct horse battery staple, tampered';

function configYaml(sourceUri: string, destinationUri: string, store: string, encrypted: boolean): string {
  return `
${encrypted ? 'encryption_key: $TAMPER_TEST_KEY' : ''}
salt: test-salt
source:
  connection_uri: ${sourceUri}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destinationUri}
`;
}

/**
 * Flips one byte in the middle of the chunk of `table`, which must be the last table-data part of the
 * manifest and the smallest (a parallel restore loads largest first): the chunk read last. Returns its key.
 */
async function tamperLastTable(store: string, dumpName: string, table: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(store, dumpName, 'manifest.json'), 'utf8')) as Manifest;
  const data = manifest.parts.filter((part) => part.kind === 'table-data');
  const last = data.at(-1)!;
  expect(last.table).toBe(table);
  expect(Math.min(...data.map((part) => part.rawBytes))).toBe(last.rawBytes);
  expect(last.chunks).toHaveLength(1);
  const key = last.chunks[0]!.key;
  const path = join(store, dumpName, key);
  const bytes = await readFile(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(path, bytes);
  return key;
}

async function cli(args: string[], configPath: string) {
  return runCli(['-c', configPath, ...args], { env: { TAMPER_TEST_KEY: KEY } });
}

/** Every table of every user schema with all its rows, and the schemas themselves: "exactly as before". */
async function pgSnapshot(db: TestDatabase): Promise<unknown> {
  const schemas = await db.sql(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`);
  const tables = await db.sql<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND c.relkind IN ('r', 'p', 'v') ORDER BY 1`,
  );
  const contents: Record<string, unknown> = {};
  for (const { name } of tables) {
    contents[name] = (await db.sql(`SELECT coalesce(json_agg(t ORDER BY t::text), '[]') AS rows FROM ${name} t`))[0]!.rows;
  }
  return { schemas, contents };
}

describe('a tampered chunk of the last table commits nothing (PostgreSQL, --jobs 1 and 2)', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  const destinations: TestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('tpsrc'), createWorkspace()]);
    await source.sql(`
      CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);
      INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 60000) g;
      CREATE TABLE medium (id int PRIMARY KEY, big_id int NOT NULL REFERENCES big, note text);
      INSERT INTO medium SELECT g, g, 'note ' || g FROM generate_series(1, 20000) g;
      CREATE TABLE tiny (id int PRIMARY KEY, label text NOT NULL);
      INSERT INTO tiny SELECT g, 'label ' || g FROM generate_series(1, 300) g;
    `);
    for (const encrypted of [false, true]) {
      const name = encrypted ? 'encrypted' : 'plain';
      const config = await workspace.writeConfig(configYaml(source.uri, source.uri, workspace.storeDir, encrypted));
      const created = await cli(['dump', 'create', '-n', name], config);
      expect(created.code, created.stderr).toBe(0);
      await tamperLastTable(workspace.storeDir, name, 'tiny');
    }
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...destinations.map((db) => db.drop())]);
  });

  for (const encrypted of [false, true]) {
    for (const jobs of [1, 2]) {
      it(`${encrypted ? 'encrypted' : 'unencrypted'} dump, --jobs ${jobs}: exit 1 naming the chunk, destination untouched`, async () => {
        const destination = await createTestDatabase('tpdst');
        destinations.push(destination);
        // Pre-existing data, some of it in tables the dump would wipe and recreate.
        await destination.sql(`
          CREATE TABLE big (id int PRIMARY KEY, kept text);
          INSERT INTO big VALUES (1, 'pre-existing big row');
          CREATE TABLE keep_me (id int PRIMARY KEY, what text);
          INSERT INTO keep_me SELECT g, 'keep ' || g FROM generate_series(1, 50) g;
          CREATE SCHEMA other;
          CREATE TABLE other.untouched (id int);
          INSERT INTO other.untouched VALUES (7);
        `);
        const before = await pgSnapshot(destination);
        const name = encrypted ? 'encrypted' : 'plain';
        const manifest = JSON.parse(await readFile(join(workspace.storeDir, name, 'manifest.json'), 'utf8')) as Manifest;
        const chunk = manifest.parts.filter((part) => part.kind === 'table-data').at(-1)!.chunks[0]!.key;

        const config = await workspace.writeConfig(configYaml(source.uri, destination.uri, workspace.storeDir, encrypted));
        const restored = await cli(['dump', 'restore', 'remote', '-v', name, '--jobs', String(jobs)], config);

        expect(restored.code, restored.stderr).toBe(1);
        expect(restored.stderr).toContain(`chunk ${chunk}`);
        expect(restored.stderr).toContain('public.tiny');
        expect(restored.stderr).not.toMatch(/partly restored/);
        expect(await pgSnapshot(destination)).toEqual(before);
      });
    }
  }
});

describe('a tampered chunk of the last table commits nothing (MySQL destination)', () => {
  let source: MysqlTestDatabase;
  let destination: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, destination, workspace] = await Promise.all([createMysqlDatabase('tmsrc'), createMysqlDatabase('tmdst'), createWorkspace()]);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), destination?.drop(), workspace?.remove()]);
  });

  it('refuses before the wipe: exit 1 naming the chunk, pre-existing tables and rows intact', async () => {
    await source.sql(`
      CREATE TABLE big (id int PRIMARY KEY, payload varchar(80) NOT NULL);
      INSERT INTO big SELECT seq, md5(seq) FROM seq_1_to_20000;
      CREATE TABLE tiny (id int PRIMARY KEY, label varchar(40) NOT NULL);
      INSERT INTO tiny SELECT seq, concat('label ', seq) FROM seq_1_to_50;
    `);
    await destination.sql(`
      CREATE TABLE big (id int PRIMARY KEY, kept varchar(40));
      INSERT INTO big VALUES (1, 'pre-existing big row');
      CREATE TABLE keep_me (id int PRIMARY KEY);
      INSERT INTO keep_me SELECT seq FROM seq_1_to_10;
    `);
    const snapshot = async () => ({
      tables: await destination.sql(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`),
      big: await destination.sql('SELECT * FROM big ORDER BY id'),
      keep: await destination.sql('SELECT * FROM keep_me ORDER BY id'),
    });
    const before = await snapshot();
    const config = await workspace.writeConfig(configYaml(source.uri, destination.uri, workspace.storeDir, true));
    const created = await cli(['dump', 'create', '-n', 'mysql-dump'], config);
    expect(created.code, created.stderr).toBe(0);
    const chunk = await tamperLastTable(workspace.storeDir, 'mysql-dump', 'tiny');

    const restored = await cli(['dump', 'restore', 'remote', '-v', 'mysql-dump'], config);

    expect(restored.code, restored.stderr).toBe(1);
    expect(restored.stderr).toContain(`chunk ${chunk}`);
    expect(await snapshot()).toEqual(before);
  });
});

describe('a tampered chunk of the last collection commits nothing (MongoDB destination)', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('refuses before the wipe: exit 1 naming the chunk, pre-existing collections intact', async () => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(server.uri('app'));
    await client.connect();
    try {
      const app = client.db('app');
      await app.collection<{ _id: number }>('big').insertMany(Array.from({ length: 3000 }, (_, i) => ({ _id: i, payload: `document ${i} `.repeat(4) })));
      await app.collection<{ _id: number }>('tiny').insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: i, label: `t${i}` })));
      const copy = client.db('copy');
      await copy.collection<{ _id: string; kept: boolean }>('big').insertMany([{ _id: 'pre-existing', kept: true }]);
      await copy.collection<{ _id: number }>('keep_me').insertMany([{ _id: 1 }, { _id: 2 }]);
    } finally {
      await client.close();
    }
    const snapshot = () =>
      ['big', 'keep_me', 'tiny'].map((name) => [name, server.collectionInfo('copy', name) ? BSON.EJSON.stringify(server.documents('copy', name)) : null]);
    const before = snapshot();
    const config = await workspace.writeConfig(configYaml(server.uri('app'), server.uri('copy'), workspace.storeDir, false));
    const created = await cli(['dump', 'create', '-n', 'mongo-dump'], config);
    expect(created.code, created.stderr).toBe(0);
    const chunk = await tamperLastTable(workspace.storeDir, 'mongo-dump', 'tiny');

    const restored = await cli(['dump', 'restore', 'remote', '-v', 'mongo-dump'], config);

    expect(restored.code, restored.stderr).toBe(1);
    expect(restored.stderr).toContain(`chunk ${chunk}`);
    expect(snapshot()).toEqual(before);
  });
});
