import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDump,
  deleteDump,
  listDumps,
  openDatastore,
  restoreDump,
  verifyDump,
  selectDumpsToDelete,
  type Config,
  type Manifest,
} from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { describeSchema, rowCounts } from '../../support/compare.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function sourceYaml(source: TestDatabase, destination: TestDatabase, encrypted: boolean): string {
  return `
salt: s3-test-salt
${encrypted ? 'encryption_key: correct-horse-battery-staple\n' : ''}source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: customers
      columns:
        - { name: email, transformer_name: email }
destination:
  connection_uri: ${destination.uri}
`;
}

/** Rows and raw bytes of every table (chunk boundaries follow COPY's pieces, so they vary between runs). */
function tableSizes(manifest: Manifest): Array<[string, number | undefined, number]> {
  return manifest.parts.filter((part) => part.kind === 'table-data').map((part) => [part.label, part.rows, part.rawBytes]);
}

async function allKeys(config: Config): Promise<string[]> {
  const datastore = await openDatastore(config);
  try {
    const keys: string[] = [];
    for await (const key of datastore.list('')) keys.push(key);
    return keys.sort();
  } finally {
    await datastore.close();
  }
}

describe('dumps in an S3 bucket', () => {
  let server: TestS3Server;
  let source: TestDatabase;
  let workspace: Workspace;
  const databases: TestDatabase[] = [];

  async function database(label: string): Promise<TestDatabase> {
    const db = await createTestDatabase(label);
    databases.push(db);
    return db;
  }

  beforeAll(async () => {
    [server, source, workspace] = await Promise.all([startS3Server(), createTestDatabase('s3src'), createWorkspace()]);
    await loadFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([server?.remove(), source?.drop(), workspace?.remove(), ...databases.map((db) => db.drop())]);
  });

  for (const encrypted of [false, true]) {
    describe(`round trip, ${encrypted ? 'encrypted' : 'not encrypted'}`, () => {
      it('creates, lists, restores and deletes a dump under a prefix, with the same tables as on local disk', async () => {
        const [restored, fromDisk] = await Promise.all([database('s3dst'), database('diskdst')]);
        const s3Config = workspace.config(sourceYaml(source, restored, encrypted) + server.datastoreYaml({ prefix: 'team-a' }));
        const diskConfig = workspace.config(`${sourceYaml(source, fromDisk, encrypted)}datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);

        const manifest = await createDump(s3Config, { name: `rt-${encrypted}`, chunkSize: 64 * 1024 });
        const onDisk = await createDump(diskConfig, { name: `rt-${encrypted}`, chunkSize: 64 * 1024 });
        expect(manifest.totals.chunks).toBeGreaterThan(1);
        expect(tableSizes(manifest)).toEqual(tableSizes(onDisk));

        // Every object lives under the prefix, the manifest among them.
        const keys = await allKeys(s3Config);
        expect(keys).toContain(`rt-${encrypted}/manifest.json`);
        expect(keys.filter((key) => key.endsWith('.chunk'))).toHaveLength(manifest.totals.chunks);

        const datastore = await openDatastore(s3Config);
        const listed = await listDumps(datastore);
        await datastore.close();
        expect(listed.map((dump) => [dump.name, dump.storedBytes, dump.encrypted])).toEqual([[`rt-${encrypted}`, manifest.totals.storedBytes, encrypted]]);

        const summary = await restoreDump(s3Config, { value: 'latest' });
        await restoreDump(diskConfig, { value: `rt-${encrypted}` });
        expect(summary.rows).toBe(manifest.totals.rows);
        expect(await describeSchema(restored)).toEqual(await describeSchema(source));
        expect(await rowCounts(restored)).toEqual(await rowCounts(source));
        const emails = (db: TestDatabase) => db.sql<{ e: string }>('SELECT string_agg(email::text, \',\' ORDER BY id) AS e FROM customers');
        expect(await emails(restored)).toEqual(await emails(fromDisk));
        expect(await emails(restored)).not.toEqual(await emails(source));

        const store = await openDatastore(s3Config);
        await deleteDump(store, `rt-${encrypted}`);
        expect(await listDumps(store)).toEqual([]);
        await store.close();
        expect(await allKeys(s3Config)).toEqual([]);
      });

      it('verifies the dump (dump verify) as on disk', async () => {
        const s3Config = workspace.config(sourceYaml(source, source, encrypted) + server.datastoreYaml({ prefix: 'verify' }));
        const diskConfig = workspace.config(`${sourceYaml(source, source, encrypted)}datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);
        const manifest = await createDump(s3Config, { name: `verify-${encrypted}`, chunkSize: 64 * 1024 });
        await createDump(diskConfig, { name: `verify-${encrypted}`, chunkSize: 64 * 1024 });
        const fromS3 = await verifyDump(s3Config, { value: `verify-${encrypted}` });
        const fromDisk = await verifyDump(diskConfig, { value: `verify-${encrypted}` });
        expect(fromS3.fault).toBeUndefined();
        expect(fromS3.encrypted).toBe(encrypted);
        expect(fromS3.rows).toBe(manifest.totals.rows);
        expect([fromS3.tables, fromS3.rows, fromS3.bytes]).toEqual([fromDisk.tables, fromDisk.rows, fromDisk.bytes]);
      });
    });
  }

  it('keeps both dumps of two concurrent dump create runs', { timeout: 400_000 }, async () => {
    const config = workspace.config(sourceYaml(source, source, false) + server.datastoreYaml({ prefix: 'concurrent' }));
    const runs = await Promise.all([
      createDump(config, { name: 'nightly-a', chunkSize: 32 * 1024 }),
      createDump(config, { name: 'nightly-b', chunkSize: 32 * 1024 }),
    ]);
    const datastore = await openDatastore(config);
    const listed = await listDumps(datastore);
    expect(listed.map((dump) => dump.name).sort()).toEqual(['nightly-a', 'nightly-b']);
    for (const manifest of runs) expect(listed.find((dump) => dump.name === manifest.name)?.storedBytes).toBe(manifest.totals.storedBytes);

    // And through two CLI processes at once.
    const configPath = await workspace.writeConfig(sourceYaml(source, source, false) + server.datastoreYaml({ prefix: 'concurrent' }));
    const cli = await Promise.all(['nightly-c', 'nightly-d'].map((name) => runCli(['-c', configPath, 'dump', 'create', '-n', name])));
    for (const result of cli) expect(result.stderr).not.toMatch(/error/);
    expect(cli.map((result) => result.code)).toEqual([0, 0]);
    expect((await listDumps(datastore)).map((dump) => dump.name).sort()).toEqual(['nightly-a', 'nightly-b', 'nightly-c', 'nightly-d']);
    for (const name of await datastore.listTopLevel()) await datastore.deletePrefix(`${name}/`);
    await datastore.close();
  });

  // The CLI runs here are slow on a loaded machine (each loads the SDK): generous timeouts.
  it('selects by --keep-last and --older-than as on disk, and the CLI lists and deletes', { timeout: 400_000 }, async () => {
    const configPath = await workspace.writeConfig(sourceYaml(source, source, false) + server.datastoreYaml({ prefix: 'retention' }));
    const config = workspace.config(sourceYaml(source, source, false) + server.datastoreYaml({ prefix: 'retention' }));
    for (const name of ['old-1', 'old-2', 'new-3']) await createDump(config, { name });

    const listed = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((dump) => dump.name)).toEqual(['new-3', 'old-2', 'old-1']);

    const datastore = await openDatastore(config);
    expect(await selectDumpsToDelete(datastore, { keepLast: 1 })).toEqual(['old-2', 'old-1']);
    const future = new Date(Date.now() + 3_600_000);
    expect(await selectDumpsToDelete(datastore, { olderThanMs: 1_800_000 }, future)).toEqual(['new-3', 'old-2', 'old-1']);
    expect(await selectDumpsToDelete(datastore, { olderThanMs: 1_800_000 })).toEqual([]);

    const byCount = await runCli(['-c', configPath, 'dump', 'delete', '--keep-last', '1']);
    expect(byCount.code).toBe(0);
    expect(byCount.stderr).toBe('deleted old-2\ndeleted old-1\n');
    const byName = await runCli(['-c', configPath, 'dump', 'delete', 'new-3']);
    expect(byName.stderr).toBe('deleted new-3\n');
    expect(await listDumps(datastore)).toEqual([]);
    const keys: string[] = [];
    for await (const key of datastore.list('')) keys.push(key);
    expect(keys).toEqual([]);
    await datastore.close();

    const empty = await runCli(['-c', configPath, 'dump', 'list']);
    expect(empty.stdout).toBe('<empty> no dumps available\n');
  });

  it('says which bucket is missing, and which credentials were refused, on the command line', { timeout: 300_000 }, async () => {
    const missing = await workspace.writeConfig(server.datastoreYaml({ bucket: 'not-there' }));
    const missingResult = await runCli(['-c', missing, 'dump', 'list']);
    expect(missingResult.code).toBe(1);
    expect(missingResult.stderr).toMatch(/^error: s3:\/\/not-there: bucket not-there does not exist\nhint: create the bucket first/);

    const wrong = await workspace.writeConfig(server.datastoreYaml({ accessKey: 'NOT-A-KEY' }));
    const wrongResult = await runCli(['-c', wrong, 'dump', 'list']);
    expect(wrongResult.code).toBe(1);
    expect(wrongResult.stderr).toMatch(/^error: s3:\/\/dumps: access denied while trying to open the bucket/);
    expect(wrongResult.stderr).toMatch(/hint: check datastore\.aws\.credentials/);
    expect(wrongResult.stderr).not.toContain('S3RVER');
  });
});
