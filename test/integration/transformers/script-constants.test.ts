/**
 * A script source (`dump create -s postgresql|mysql -i`) has no source server, but the config may name
 * one of the same engine: the destination (or source.connection_uri). Its parsing checks `constant`
 * values before a row is stored, as a live source's does (decision 0038); without one, replibyte's own
 * checks are all there is, and the run says so.
 */
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump } from '../../../src/index.js';
import { createMysqlDatabase, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

interface Entry {
  column: string;
  value: string | number;
}

function configYaml(database: string, entries: Entry[], store: string, destination?: string): string {
  return [
    'salt: script-constants',
    'source:',
    '  transformers:',
    `    - database: ${database}`,
    '      table: typed',
    '      columns:',
    ...entries.map((e) => `        - { name: ${e.column}, transformer_name: constant, transformer_options: { value: ${JSON.stringify(e.value)} } }`),
    'datastore:',
    `  local_disk: { dir: ${store} }`,
    ...(destination ? ['destination:', `  connection_uri: ${destination}`] : []),
    '',
  ].join('\n');
}

const UNREACHABLE_POSTGRES = 'postgres://postgres@127.0.0.1:1/nowhere';

describe('constants of a pg_dump script, on PostgreSQL', () => {
  let db: TestDatabase;
  let destination: TestDatabase;
  let ws: Workspace;
  let script: string;

  beforeAll(async () => {
    [db, destination, ws] = await Promise.all([createTestDatabase('script_const'), createTestDatabase('script_const_dst'), createWorkspace()]);
    await db.sql(`
      CREATE DOMAIN ip_address AS inet;
      CREATE TABLE typed (id int PRIMARY KEY, u uuid, d date, ip ip_address, note text);
      INSERT INTO typed VALUES (1, gen_random_uuid(), '2024-01-02', '10.0.0.1', 'a');`);
    const result = spawnSync('pg_dump', ['--no-owner', `--dbname=${db.uri}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
    script = result.stdout;
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), destination?.drop(), ws?.remove()]);
  });

  const dump = (yaml: string, name: string, reporter = new CollectingReporter()) =>
    createDump(ws.config(yaml), { name, sourceType: 'postgresql', input: Readable.from([script]), reporter });

  it('refuses, with the destination server\'s words, a constant its type refuses (a domain it lacks: by its base type)', async () => {
    const bad: Entry[] = [
      { column: 'u', value: 'not-a-uuid' },
      { column: 'd', value: '2024-13-45' },
      { column: 'ip', value: '10.0.0.300' },
    ];
    const refused = dump(configYaml('public', bad, ws.storeDir, destination.uri), 'bad');
    await expect(refused).rejects.toThrow(/value "not-a-uuid" cannot be stored in public\.typed\.u \(uuid\): invalid input syntax for type uuid/);
    await expect(dump(configYaml('public', bad, ws.storeDir, destination.uri), 'bad')).rejects.toThrow(/value "2024-13-45" cannot be stored in public\.typed\.d \(date\): date\/time field value out of range/);
    await expect(dump(configYaml('public', bad, ws.storeDir, destination.uri), 'bad')).rejects.toThrow(/value "10\.0\.0\.300" cannot be stored in public\.typed\.ip \(public\.ip_address\): invalid input syntax for type inet/);
    const reporter = new CollectingReporter();
    const good: Entry[] = [
      { column: 'u', value: '00000000-0000-4000-8000-000000000000' },
      { column: 'ip', value: '::1' },
    ];
    await dump(configYaml('public', good, ws.storeDir, destination.uri), 'good', reporter);
    expect(reporter.lines).toContainEqual(expect.stringMatching(/^constant values checked by the server of destination\.connection_uri \(postgres(ql)?:\/\/.*127\.0\.0\.1/));
  });

  it('without a reachable server, keeps replibyte\'s own checks, and says so', async () => {
    const reporter = new CollectingReporter();
    await dump(configYaml('public', [{ column: 'u', value: 'not-a-uuid' }], ws.storeDir, UNREACHABLE_POSTGRES), 'unchecked', reporter);
    expect(reporter.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^warning: cannot check constant values on the server of destination\.connection_uri \(postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere\)/),
        "constant values checked by replibyte's own rules only (length, members, integer and numeric ranges): no PostgreSQL server in the config parses them for a script",
      ]),
    );
    // Its own checks still refuse what they know (an integer, a numeric's precision, a length).
    await expect(dump(configYaml('public', [{ column: 'id', value: 'abc' }], ws.storeDir), 'own')).rejects.toThrow(/"abc" is not a valid integer/);
  });
});

describe('constants of a mariadb-dump script, on MariaDB', () => {
  let db: MysqlTestDatabase;
  let destination: MysqlTestDatabase;
  let ws: Workspace;
  let script: Buffer;

  beforeAll(async () => {
    [db, destination, ws] = await Promise.all([createMysqlDatabase('script_const'), createMysqlDatabase('script_const_dst'), createWorkspace()]);
    await db.sql(`
      CREATE TABLE typed (id int PRIMARY KEY, d date, n int CHECK (n >= 0), e enum('x','y'));
      INSERT INTO typed VALUES (1, '2024-01-02', 3, 'x');`);
    const args = db.clientArgs();
    const result = spawnSync(MYSQL_DUMP, [...args.slice(0, -2), db.name], { maxBuffer: 1 << 30 });
    if (result.status !== 0) throw new Error(`${MYSQL_DUMP}: ${result.stderr.toString()}`);
    script = result.stdout;
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), destination?.drop(), ws?.remove()]);
  });

  const dump = (yaml: string, name: string, reporter = new CollectingReporter()) =>
    createDump(ws.config(yaml), { name, sourceType: 'mysql', input: Readable.from([script]), reporter });

  it('refuses, with the destination server\'s words, a constant its type or a CHECK of the script refuses', async () => {
    await expect(dump(configYaml(db.name, [{ column: 'd', value: '2024-13-45' }], ws.storeDir, destination.uri), 'bad-date')).rejects.toThrow(
      /value "2024-13-45" cannot be stored in .*typed\.d \(date\): Incorrect date value/,
    );
    await expect(dump(configYaml(db.name, [{ column: 'n', value: -1 }], ws.storeDir, destination.uri), 'bad-check')).rejects.toThrow(
      /value "-1" cannot be stored in .*typed\.n \(int\(11\)\): it fails CHECK \(`n` >= 0\)/,
    );
    const reporter = new CollectingReporter();
    await dump(configYaml(db.name, [{ column: 'd', value: '2024-12-31' }, { column: 'n', value: 0 }], ws.storeDir, destination.uri), 'good', reporter);
    expect(reporter.lines.filter((line) => line.startsWith('constant values checked by the server of destination.connection_uri'))).toHaveLength(1);
  });

  it('without a server of its engine in the config, keeps replibyte\'s own checks, and says so', async () => {
    const reporter = new CollectingReporter();
    await dump(configYaml(db.name, [{ column: 'd', value: '2024-13-45' }], ws.storeDir), 'unchecked', reporter);
    expect(reporter.lines).toContain("constant values checked by replibyte's own rules only (length, members, integer and numeric ranges): no MySQL server in the config parses them for a script");
    await expect(dump(configYaml(db.name, [{ column: 'e', value: 'z' }], ws.storeDir), 'own')).rejects.toThrow(/value "z" is not a member of the enum/);
  });
});
