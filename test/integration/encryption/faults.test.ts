import { randomInt } from 'node:crypto';
import { readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/load.js';
import { createDump, restoreDump, verifyDump, type Manifest } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, databaseUri, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { copyStore, encryptedConfigYaml, HEADER, keyEnv, loadPlantedSource } from './encrypted-fixture.js';

const SEALED_SEGMENT = 64 * 1024 + 16;
const NO_SUCH_DATABASE = databaseUri('rbt_no_such_database_for_fault_tests');

describe('damaged and mis-keyed encrypted dumps', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let workspace: Workspace;
  let alpha: Manifest;
  let copies = 0;

  const yaml = (store: string, key?: string, destination = target.uri) => encryptedConfigYaml({ source: source.uri, destination, store, ...(key && { key }) });
  const configFor = (store: string, key?: string): Config => workspace.config(yaml(store, key), { ...process.env, ...keyEnv });

  /** A copy of the pristine datastore, damaged by `mutate`. */
  async function damaged(mutate: (store: string) => Promise<void>): Promise<string> {
    const store = join(workspace.dir, `copy-${++copies}`);
    await copyStore(workspace.storeDir, store);
    await mutate(store);
    return store;
  }

  /** The target still holds exactly what it held before: the marker table and its three rows. */
  async function expectTargetUntouched(): Promise<void> {
    const tables = await target.sql<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(['public.marker']);
    expect(await target.sql('SELECT count(*)::int AS n FROM public.marker')).toEqual([{ n: 3 }]);
  }

  async function expectFault(store: string, chunk: string, message: RegExp, offset?: number): Promise<void> {
    const report = await verifyDump(configFor(store), { value: 'alpha' });
    expect(report.fault?.message).toMatch(message);
    expect(report.fault?.chunk).toBe(chunk);
    if (offset !== undefined) expect(report.fault?.offset).toBe(offset);
  }

  async function expectRestoreFails(store: string, message: RegExp): Promise<void> {
    await expect(restoreDump(configFor(store), { value: 'alpha' })).rejects.toThrow(message);
    await expectTargetUntouched();
  }

  const chunkKeys = (manifest: Manifest) => manifest.parts.flatMap((part) => part.chunks.map((chunk) => chunk.key));
  const tableChunk = (manifest: Manifest, table: string, index: number) => manifest.parts.find((part) => part.table === table)!.chunks[index]!.key;

  beforeAll(async () => {
    [source, target, workspace] = await Promise.all([createTestDatabase('src'), createTestDatabase('target'), createWorkspace()]);
    await loadPlantedSource(source);
    await target.sql('CREATE TABLE public.marker (id int); INSERT INTO public.marker VALUES (1), (2), (3);');
    const config = configFor(workspace.storeDir);
    alpha = await createDump(config, { name: 'alpha', chunkSize: 256 * 1024 });
    await createDump(config, { name: 'beta', chunkSize: 256 * 1024 });
    expect(alpha.parts.find((part) => part.table === 'planted_people')!.chunks.length).toBeGreaterThan(5);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), target?.drop(), workspace?.remove()]);
  });

  it('verifies the intact dump: tables, rows and bytes as the manifest has them', async () => {
    const report = await verifyDump(configFor(workspace.storeDir), { value: 'alpha' });
    expect(report.fault).toBeUndefined();
    expect(report.encrypted).toBe(true);
    expect(report.rows).toBe(alpha.totals.rows);
    expect(report.bytes).toBe(alpha.totals.rawBytes);
    expect(report.tables).toBe(alpha.parts.filter((part) => part.kind === 'table-data').length);
    expect(report.parts.find((part) => part.label === 'public.planted_people')?.rows).toBe(20000);
  });

  it('refuses a wrong key and a missing key in one line, before connecting to the destination', async () => {
    await expect(verifyDump(configFor(workspace.storeDir, 'not the key'), { value: 'alpha' })).rejects.toThrow(/^wrong encryption key for dump alpha$/);
    await expect(verifyDump(configFor(workspace.storeDir, 'none'), { value: 'alpha' })).rejects.toThrow(/^dump alpha is encrypted: set encryption_key/);
    await expect(restoreDump(configFor(workspace.storeDir, 'not the key'), { value: 'alpha' })).rejects.toThrow(/^wrong encryption key for dump alpha$/);
    await expectTargetUntouched();

    // Through the CLI, against a destination that does not exist: the key error comes first, so nothing connected.
    const wrong = await workspace.writeConfig(yaml(workspace.storeDir, 'not the key', NO_SUCH_DATABASE));
    const restore = await runCli(['-c', wrong, 'dump', 'restore', 'remote', '-v', 'alpha']);
    expect(restore.code).toBe(1);
    expect(restore.stderr.split('\n')[0]).toBe('error: wrong encryption key for dump alpha');
    const missing = await workspace.writeConfig(yaml(workspace.storeDir, 'none', NO_SUCH_DATABASE));
    const noKey = await runCli(['-c', missing, 'dump', 'verify', '-v', 'alpha']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr.split('\n')[0]).toBe('error: dump alpha is encrypted: set encryption_key in the config to read it');
  });

  it('finds one flipped bit in any chunk, naming the chunk and the offset of the segment that holds it', async () => {
    const store = await damaged(async () => undefined);
    for (const key of chunkKeys(alpha)) {
      const path = join(store, 'alpha', key);
      const original = await readFile(path);
      const at = randomInt(original.length);
      const flipped = Buffer.from(original);
      flipped[at]! ^= 1 << randomInt(8);
      await writeFile(path, flipped);
      const expectedOffset = at < 4 ? 0 : at < HEADER ? HEADER : HEADER + Math.floor((at - HEADER) / SEALED_SEGMENT) * SEALED_SEGMENT;
      await expectFault(store, key, at < 4 ? /bad magic/ : /fails authentication/, expectedOffset);
      await writeFile(path, original);
    }
  });

  it('refuses to restore a dump with a flipped bit, and the target keeps what it had (wipe asked for, rolled back)', async () => {
    const key = tableChunk(alpha, 'planted_people', 3);
    const store = await damaged(async (dir) => {
      const path = join(dir, 'alpha', key);
      const bytes = await readFile(path);
      bytes[HEADER + SEALED_SEGMENT + 7]! ^= 0x10;
      await writeFile(path, bytes);
    });
    await expectFault(store, key, /segment 1 fails authentication/, HEADER + SEALED_SEGMENT);
    await expectRestoreFails(store, new RegExp(`chunk ${key.replace('.', '\\.')}.*byte offset ${HEADER + SEALED_SEGMENT}: segment 1 fails authentication[\\s\\S]*nothing was changed`));

    const configPath = join(workspace.dir, 'flipped.yaml');
    await writeFile(configPath, yaml(store));
    const cli = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'alpha'], { env: keyEnv });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^dump alpha \(replibyte-v1, encrypted\): FAULT$/m);
    expect(cli.stderr).toMatch(new RegExp(`^error: dump alpha is damaged: dump alpha, chunk ${key.replace('.', '\\.')} \\(public\\.planted_people\\), byte offset ${HEADER + SEALED_SEGMENT}: segment 1 fails`));
  });

  it('refuses a truncated last chunk', async () => {
    const keys = chunkKeys(alpha);
    const last = keys[keys.length - 1]!;
    const store = await damaged(async (dir) => {
      const path = join(dir, 'alpha', last);
      await truncate(path, (await readFile(path)).length - 100);
    });
    await expectFault(store, last, /chunk is truncated/);
    await expectRestoreFails(store, /chunk is truncated/);
  });

  it('refuses a chunk swapped in from another dump, and two chunks swapped within the dump', async () => {
    const key = tableChunk(alpha, 'planted_people', 2);
    const fromBeta = await damaged(async (dir) => {
      await writeFile(join(dir, 'alpha', key), await readFile(join(dir, 'beta', key)));
    });
    await expectFault(fromBeta, key, /segment 0 fails authentication: it was altered, or belongs to another dump or position|longer than|truncated/);
    await expectRestoreFails(fromBeta, new RegExp(`chunk ${key.replace('.', '\\.')}`));

    const next = tableChunk(alpha, 'planted_people', 3);
    const swapped = await damaged(async (dir) => {
      await rename(join(dir, 'alpha', key), join(dir, 'alpha', 'tmp'));
      await rename(join(dir, 'alpha', next), join(dir, 'alpha', key));
      await rename(join(dir, 'alpha', 'tmp'), join(dir, 'alpha', next));
    });
    await expectFault(swapped, key, /fails authentication|checksum|longer than|truncated/);
    await expectRestoreFails(swapped, new RegExp(`chunk ${key.replace('.', '\\.')}`));
  });

  it('refuses a deleted chunk before touching the destination', async () => {
    const key = tableChunk(alpha, 'planted_people', 4);
    const store = await damaged(async (dir) => rm(join(dir, 'alpha', key)));
    await expectFault(store, key, /the chunk is missing from the datastore/);
    await expectRestoreFails(store, /the chunk is missing from the datastore/);
    const config = workspace.config(yaml(store, undefined, NO_SUCH_DATABASE), { ...process.env, ...keyEnv });
    await expect(restoreDump(config, { value: 'alpha' })).rejects.toThrow(new RegExp(`^dump alpha, chunk ${key.replace('.', '\\.')} .*missing`));
  });

  it('refuses a manifest whose chunk list was reordered, shortened, duplicated or edited', async () => {
    type Edit = (manifest: Manifest) => void;
    const planted = (m: Manifest) => m.parts.find((part) => part.table === 'planted_people')!;
    const edits: Record<string, Edit> = {
      reordered: (m) => planted(m).chunks.reverse(),
      dropped: (m) => void planted(m).chunks.pop(),
      duplicated: (m) => void planted(m).chunks.push(planted(m).chunks[0]!),
      'row count': (m) => void (planted(m).rows = 19999),
      'swapped manifests': (m) => Object.assign(m, { id: '0'.repeat(32) }),
    };
    for (const [what, edit] of Object.entries(edits)) {
      const store = await damaged(async (dir) => {
        const path = join(dir, 'alpha', 'manifest.json');
        const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
        edit(manifest);
        await writeFile(path, JSON.stringify(manifest));
      });
      await expect(verifyDump(configFor(store), { value: 'alpha' }), what).rejects.toThrow(/^dump alpha: the manifest fails authentication/);
      await expectRestoreFails(store, /manifest fails authentication/);
    }
  });
});
