import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Datastore } from '../../../src/datastores/datastore.js';
import { LocalDiskDatastore } from '../../../src/datastores/local-disk/local-disk-datastore.js';
import { S3Datastore } from '../../../src/datastores/s3/s3-datastore.js';
import { DumpWriter } from '../../../src/dump/dump-writer.js';
import { listDumps, readManifest, ReplibyteError } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** A small committed dump, written without a database. */
async function writeDump(datastore: Datastore, name: string): Promise<void> {
  const writer = await DumpWriter.begin(datastore, { name, compression: 'zstd' });
  await writer.writePart({ kind: 'sql', section: 'pre-data', label: 'schema', encoding: 'sql' }, Readable.from([Buffer.from('CREATE TABLE t (id int);\n')]));
  await writer.writePart(
    { kind: 'table-data', section: 'data', label: 'public.t', schema: 'public', table: 't', columns: ['id'], encoding: 'pg-copy-text' },
    Readable.from([Buffer.from('1\n2\n3\n')]),
  );
  await writer.commit({ engine: { kind: 'postgresql' }, source: { kind: 'live', database: 'app' }, schemas: ['public'], transformed: [] });
}

/** Keys no caller may get through a datastore, whatever the method: each would leave the store or its prefix. */
const HOSTILE_KEYS = ['.', '..', 'good/..', '../outside', 'good/../../outside', './manifest.json', 'a//b', '/abs', 'a\\..\\b', 'nul\u0000x/k', `${'x'.repeat(256)}/k`, `${'a/'.repeat(600)}k`];

async function expectRefused(attempt: () => Promise<unknown>, key: string): Promise<void> {
  const error = await attempt().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `key ${JSON.stringify(key)} was accepted`).toBeInstanceOf(ReplibyteError);
  expect((error as Error).message).toMatch(/refused the (key|prefix)/);
}

async function everyMethodRefuses(store: Datastore): Promise<void> {
  const drain = async (items: AsyncIterable<unknown>) => {
    for await (const _item of items) void _item;
  };
  for (const key of HOSTILE_KEYS) {
    await expectRefused(() => store.get(key), key);
    await expectRefused(() => store.getSmall(key), key);
    await expectRefused(() => store.putAtomic(key, Buffer.from('x')), key);
    await expectRefused(() => store.put(key, Readable.from([Buffer.from('x')])), key);
    await expectRefused(() => store.delete(key), key);
    await expectRefused(() => store.deletePrefix(`${key}/`), key);
    await expectRefused(() => drain(store.list(`${key}/`)), key);
    await expectRefused(() => drain(store.listDetailed(`${key}/`)), key);
  }
  // The whole store is never one delete away.
  await expect(store.deletePrefix('')).rejects.toThrow(/refused to delete the whole datastore/);
}

describe('names that would leave the datastore', () => {
  let workspace: Workspace;
  let configPath: string;
  let server: TestS3Server;

  beforeAll(async () => {
    [workspace, server] = await Promise.all([createWorkspace(), startS3Server()]);
    configPath = await workspace.writeConfig(`datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);
  });
  afterAll(async () => {
    await Promise.all([workspace?.remove(), server?.remove()]);
  });

  it('a legacy metadata.json entry named "." cannot delete the datastore, and is not listed', async () => {
    const store = await LocalDiskDatastore.open(workspace.storeDir);
    await writeDump(store, 'good');
    const index = { v: '0.10.0', dumps: ['.', '..', 'good/..', 'a/b'].map((name) => ({ directory_name: name, size: 1, created_at: 1, compressed: true, encrypted: false })) };
    await writeFile(join(workspace.storeDir, 'metadata.json'), JSON.stringify(index));

    for (const name of ['.', '..', 'good/..', 'a/b']) {
      const result = await runCli(['-c', configPath, 'dump', 'delete', name]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^error: invalid dump name /);
    }
    expect(existsSync(workspace.storeDir)).toBe(true);
    expect((await listDumps(store)).map((dump) => dump.name)).toEqual(['good']);
    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'good']);
    expect(verified.code, verified.stderr).toBe(0);
    for (const command of [['dump', 'verify', '-v', '..'], ['dump', 'restore', 'remote', '-v', 'good/..', '-o']]) {
      const result = await runCli(['-c', configPath, ...command]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: invalid dump name /);
    }
    await writeFile(join(workspace.storeDir, 'metadata.json'), '{"v":"0.10.0","dumps":[]}');
  });

  it('a dump directory that is a symbolic link is never read, written or deleted through', async () => {
    const outside = join(workspace.dir, 'outside');
    await mkdir(outside);
    const store = await LocalDiskDatastore.open(workspace.storeDir);
    await writeDump(store, 'victim');
    // A copy of a real dump outside the store, reached through a link planted in the store.
    const manifest = (await readFile(join(workspace.storeDir, 'victim', 'manifest.json'), 'utf8')).replace('"name": "victim"', '"name": "evil"');
    await writeFile(join(outside, 'manifest.json'), manifest);
    for (const file of await readdir(join(workspace.storeDir, 'victim'))) {
      if (file.endsWith('.chunk')) await writeFile(join(outside, file), await readFile(join(workspace.storeDir, 'victim', file)));
    }
    await symlink(outside, join(workspace.storeDir, 'evil'));
    const before = (await readdir(outside)).sort();

    const deleted = await runCli(['-c', configPath, 'dump', 'delete', 'evil']);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toMatch(/evil is a symbolic link: replibyte never follows links out of the datastore/);
    const created = await runCli(['-c', configPath, 'dump', 'create', '-n', 'evil', '-s', 'postgresql', '-i'], { input: 'CREATE TABLE x (id int);\n' });
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/symbolic link/);
    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'evil']);
    expect(verified.code).toBe(1);
    expect((await readdir(outside)).sort()).toEqual(before);

    // A link in place of a chunk or a manifest is not followed either.
    await symlink(join(outside, 'manifest.json'), join(workspace.storeDir, 'victim', 'linked.chunk'));
    expect(await readManifest(store, 'victim')).toMatchObject({ name: 'victim' });
    const keys: string[] = [];
    for await (const key of store.list('victim/')) keys.push(key);
    expect(keys).not.toContain('victim/linked.chunk');
    await expect(store.getSmall('victim/linked.chunk')).rejects.toThrow(/symbolic link/);
    await expect(store.putAtomic('victim/linked.chunk', Buffer.from('overwritten'))).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(outside, 'manifest.json'), 'utf8')).toBe(manifest);
    expect((await readdir(outside)).sort()).toEqual(before);
  });

  it('the local-disk datastore refuses such keys on every method, whoever calls', async () => {
    const store = await LocalDiskDatastore.open(workspace.storeDir);
    await everyMethodRefuses(store);
    expect(existsSync(workspace.storeDir)).toBe(true);
  });

  it('the S3 datastore refuses them on every method too', async () => {
    const store = await S3Datastore.open({
      bucket: server.bucket,
      prefix: 'team',
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    });
    try {
      await writeDump(store, 'kept');
      await everyMethodRefuses(store);
      expect((await listDumps(store)).map((dump) => dump.name)).toEqual(['kept']);
    } finally {
      await store.close();
    }
  });

  it('a manifest whose chunk key leads elsewhere is refused before anything is read', async () => {
    const store = await LocalDiskDatastore.open(workspace.storeDir);
    await writeDump(store, 'forged');
    const path = join(workspace.storeDir, 'forged', 'manifest.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"key": "000001.chunk"', '"key": "../victim/000001.chunk"'));
    await expect(readManifest(store, 'forged')).rejects.toThrow(/manifest is malformed at parts\.0\.chunks\.0\.key/);
  });
});
