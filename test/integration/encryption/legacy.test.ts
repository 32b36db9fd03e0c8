import { spawnSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDumps, openDatastore, restoreDump, verifyDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { allColumns, columnDigest, describeSchema, rowCounts } from '../../support/compare.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, databaseUri, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { writeLegacyDump } from './legacy-datastore.js';

const PASSPHRASE = 'an old key';
const ENCRYPTED = 'dump-1700000000000';
const PLAIN = 'dump-1700000500000';

describe('datastores written by the original Replibyte', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let viaScript: TestDatabase;
  let workspace: Workspace;
  let inserts = 0;

  const yaml = (destination: string, key: string | undefined = PASSPHRASE) =>
    `${key ? `encryption_key: '${key}'\n` : ''}datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${destination}\n`;

  beforeAll(async () => {
    [source, restored, viaScript, workspace] = await Promise.all([createTestDatabase('src'), createTestDatabase('dst'), createTestDatabase('psql'), createWorkspace()]);
    await loadFixture(source, 'kitchen-sink.sql');
    // What the original ran: pg_dump --column-inserts --no-owner.
    const dump = spawnSync('pg_dump', ['--column-inserts', '--no-owner', '--no-privileges', source.uri], { maxBuffer: 1 << 28 });
    expect(dump.status, dump.stderr?.toString()).toBe(0);
    inserts = (dump.stdout.toString('utf8').match(/^INSERT INTO /gm) ?? []).length;
    await writeLegacyDump(workspace.storeDir, { name: ENCRYPTED, script: dump.stdout, chunks: 12, createdAt: 1_700_000_000_000, compressed: true, passphrase: PASSPHRASE });
    await writeLegacyDump(workspace.storeDir, { name: PLAIN, script: dump.stdout, chunks: 11, createdAt: 1_700_000_500_000, compressed: true });
    expect((await readdir(join(workspace.storeDir, ENCRYPTED))).length).toBeGreaterThanOrEqual(12);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), viaScript?.drop(), workspace?.remove()]);
  });

  it('lists them, with their encryption, newest first', async () => {
    const datastore = await openDatastore(workspace.config(yaml(restored.uri)));
    expect((await listDumps(datastore)).map((d) => [d.name, d.format, d.encrypted, d.compressed])).toEqual([
      [PLAIN, 'replibyte-legacy', false, true],
      [ENCRYPTED, 'replibyte-legacy', true, true],
    ]);
  });

  // With a key in the config, reading the original's format takes allowUnencrypted (--allow-unencrypted):
  // its encryption authenticates nothing a datastore writer could not forge (docs/format.md).
  it('restores an encrypted one identically: chunks in numeric order (10.dump after 9.dump)', async () => {
    await restoreDump(workspace.config(yaml(restored.uri)), { value: ENCRYPTED, allowUnencrypted: true });
    expect(await describeSchema(restored)).toEqual(await describeSchema(source));
    expect(await rowCounts(restored)).toEqual(await rowCounts(source));
    for (const { table, column } of await allColumns(source)) {
      expect(await columnDigest(restored, table, column), `${table}.${column}`).toBe(await columnDigest(source, table, column));
    }
  });

  it('prints the latest (unencrypted) one as a script with -o that psql loads identically', async () => {
    const configPath = await workspace.writeConfig(yaml(viaScript.uri, undefined));
    // `yaml(…, undefined)` keeps the default key, so reading the original's format takes the flag.
    const result = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'latest', '-o', '--allow-unencrypted']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', viaScript.uri], { input: result.stdout, encoding: 'utf8' });
    expect(psql.status, psql.stderr).toBe(0);
    expect(await rowCounts(viaScript)).toEqual(await rowCounts(source));
    expect(await describeSchema(viaScript)).toEqual(await describeSchema(source));
  });

  it('verifies them: INSERT rows counted, no checksums to check', async () => {
    const report = await verifyDump(workspace.config(yaml(restored.uri)), { value: ENCRYPTED, allowUnencrypted: true });
    expect(report.fault).toBeUndefined();
    expect(report.format).toBe('replibyte-legacy');
    expect(inserts).toBeGreaterThan(4000);
    expect(report.rows).toBe(inserts);
    expect(report.parts[0]!.statements).toBeGreaterThan(inserts);
  });

  it('refuses a wrong key in one line before touching the destination, and names a damaged chunk', async () => {
    const wrong = workspace.config(yaml(databaseUri('rbt_no_such_database_legacy'), 'not the old key'));
    await expect(restoreDump(wrong, { value: ENCRYPTED, allowUnencrypted: true })).rejects.toThrow(/^wrong encryption key for dump dump-1700000000000 \(or its chunk 1\.dump is damaged/);
    const path = join(workspace.storeDir, ENCRYPTED, '7.dump');
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    damaged[damaged.length >> 1]! ^= 4;
    await writeFile(path, damaged);
    try {
      const config = workspace.config(yaml(databaseUri('rbt_no_such_database_legacy')));
      await expect(restoreDump(config, { value: ENCRYPTED, allowUnencrypted: true })).rejects.toThrow(/chunk 7\.dump: the chunk fails authentication/);
      expect((await verifyDump(config, { value: ENCRYPTED, allowUnencrypted: true })).fault?.chunk).toBe('7.dump');
    } finally {
      await writeFile(path, original);
    }
  });

  it('deletes one: its chunks and its entry in metadata.json', async () => {
    const configPath = await workspace.writeConfig(yaml(restored.uri));
    const result = await runCli(['-c', configPath, 'dump', 'delete', PLAIN]);
    expect(result.code, result.stderr).toBe(0);
    const index = JSON.parse(await readFile(join(workspace.storeDir, 'metadata.json'), 'utf8')) as { dumps: Array<{ directory_name: string }> };
    expect(index.dumps.map((d) => d.directory_name)).toEqual([ENCRYPTED]);
    expect(await readdir(workspace.storeDir)).not.toContain(PLAIN);
  });
});
