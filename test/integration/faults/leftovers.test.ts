import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Datastore } from '../../../src/datastores/datastore.js';
import { LocalDiskDatastore } from '../../../src/datastores/local-disk/local-disk-datastore.js';
import { DumpWriter } from '../../../src/dump/dump-writer.js';
import { claimsPrefix, NameClaim } from '../../../src/dump/name-claim.js';
import { DatastoreError } from '../../../src/errors.js';
import { listDumps, openDatastore } from '../../../src/index.js';
import { CLI, runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const MiB = 1024 * 1024;

/** Every file and folder under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

/** A claim as a run killed with -9 on this machine leaves it: its process is gone. */
async function deadClaim(datastore: Datastore, name: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  const pidNamespace = await readlink('/proc/self/ns/pid').catch(() => undefined);
  const at = new Date(Date.now() - 5_000);
  const record = { run: 'dead', tool: 'test', startedAt: at.toISOString(), heartbeatAt: at.toISOString(), host: hostname(), pid: child.pid, ...(pidNamespace && { pidNamespace }) };
  await datastore.putAtomic(`${claimsPrefix(name)}${at.getTime()}-00000000000000aa.json`, Buffer.from(JSON.stringify(record)));
}

describe('leftovers of dump create runs that never finished', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  let configPath: string;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('leftovers'), createWorkspace()]);
    await source.sql(`CREATE TABLE public.big (id int PRIMARY KEY, body text);
      INSERT INTO public.big SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) FROM generate_series(1, 400000) g`);
    configPath = await workspace.writeConfig(`source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  /** Starts `dump create`, waits (bounded) until it has stored a chunk of the table, and kills it with -9. */
  async function killMidway(name?: string): Promise<string> {
    const before = new Set(await readdir(workspace.storeDir));
    const child = spawn(process.execPath, [CLI, '-c', configPath, 'dump', 'create', ...(name ? ['-n', name] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let exited = false;
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('exit', () => (exited = true));
    let dir: string | undefined;
    for (let i = 0; i < 1200 && !exited; i += 1) {
      const fresh = (await readdir(workspace.storeDir)).find((entry) => !before.has(entry));
      if (fresh && (await readdir(join(workspace.storeDir, fresh)).catch(() => [])).filter((file) => file.endsWith('.chunk')).length >= 2) {
        dir = fresh;
        break;
      }
      await sleep(50);
    }
    expect(exited, `the dump ended before it could be killed: ${stderr}`).toBe(false);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    expect(dir).toBeDefined();
    return dir!;
  }

  it('dump delete NAME removes what a run killed with -9 left, and says so', { timeout: 300_000 }, async () => {
    await killMidway('killed');
    const list = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const deleted = await runCli(['-c', configPath, 'dump', 'delete', 'killed']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toMatch(/^deleted the leftovers of unfinished dump killed \(\d+ objects, last written \d+ seconds? ago\)\n$/);
    expect(existsSync(join(workspace.storeDir, 'killed'))).toBe(false);
    // The name is free again.
    const again = await runCli(['-c', configPath, 'dump', 'delete', 'killed']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: no dump named killed/);
  });

  it('--prune-failed removes a default-named run\'s leftovers, with --dry-run and --older-than', { timeout: 300_000 }, async () => {
    const kept = await runCli(['-c', configPath, 'dump', 'create', '-n', 'kept']);
    expect(kept.code, kept.stderr).toBe(0);
    const name = await killMidway();
    expect(name).toMatch(/^dump-\d+$/);
    const files = await tree(join(workspace.storeDir, name));

    const dry = await runCli(['-c', configPath, 'dump', 'delete', '--prune-failed', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(new RegExp(`^would delete the leftovers of unfinished dump ${name} \\(\\d+ objects, last written \\d+ seconds? ago\\)\\n$`));
    expect(await tree(join(workspace.storeDir, name))).toEqual(files);

    const recent = await runCli(['-c', configPath, 'dump', 'delete', '--prune-failed', '--older-than', '1h']);
    expect(recent.stderr).toMatch(new RegExp(`^kept ${name}: last written \\d+ seconds? ago, within --older-than 1h\\nno leftovers of failed dumps; nothing deleted\\n$`));
    expect(await tree(join(workspace.storeDir, name))).toEqual(files);

    const pruned = await runCli(['-c', configPath, 'dump', 'delete', '--prune-failed']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(new RegExp(`^deleted the leftovers of unfinished dump ${name} \\(\\d+ objects, last written \\d+ seconds? ago\\)\\n$`));
    expect(await readdir(workspace.storeDir)).toEqual(['kept']);
    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'kept']);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('--prune-failed and dump delete NAME leave alone a name a live run is writing', { timeout: 120_000 }, async () => {
    const store = await LocalDiskDatastore.open(workspace.storeDir);
    // A live run: this process holds the claim.
    const { claim } = await NameClaim.acquire(store, 'writing');
    await store.putAtomic('writing/000001.chunk', Buffer.from('being written'));
    await deadClaim(store, 'dead-run');
    await store.putAtomic('dead-run/000001.chunk', Buffer.from('left behind'));
    try {
      const refused = await runCli(['-c', configPath, 'dump', 'delete', 'writing']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^error: writing is being written by dump create pid ${process.pid} on \\S+ \\(started \\S+\\): it is not a dump yet; nothing deleted\\n`));
      const pruned = await runCli(['-c', configPath, 'dump', 'delete', '--prune-failed']);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(pruned.stderr).toContain(`kept writing: it is being written by dump create pid ${process.pid} on `);
      expect(pruned.stderr).toMatch(/deleted the leftovers of unfinished dump dead-run \(2 objects, last written \d+ seconds? ago\)\n/);
      expect(existsSync(join(workspace.storeDir, 'dead-run'))).toBe(false);
      expect(await store.getSmall('writing/000001.chunk')).toEqual(Buffer.from('being written'));
    } finally {
      await claim.release();
      await store.deletePrefix('writing/');
    }
  });

  it('a failed dump leaves nothing behind, even a chunk that was still being stored when another part failed', async () => {
    const inner = await LocalDiskDatastore.open(workspace.storeDir);
    const store = new RacingDatastore(inner);
    const writer = await DumpWriter.begin(store, { name: 'racing', compression: 'none' });
    // A post-data part whose chunk reaches the store late, while the data part fails (disk full).
    const late = writer.writePart({ kind: 'sql', section: 'post-data', label: 'schema (post-data)', encoding: 'sql' }, Readable.from([Buffer.from('CREATE INDEX i ON t (id);\n')]));
    late.catch(() => undefined);
    await sleep(50);
    const failing = writer.writePart(
      { kind: 'table-data', section: 'data', label: 'public.t', schema: 'public', table: 't', columns: ['id'], encoding: 'pg-copy-text' },
      Readable.from([Buffer.from('1\n')]),
    );
    await expect(failing).rejects.toThrow(/disk full/);
    // What createDump does when a source gives up at its first failed part.
    await writer.abort();
    await Promise.allSettled([late]);
    await sleep(1_500);
    expect(await tree(workspace.storeDir)).not.toContain('racing');
    expect((await tree(workspace.storeDir)).filter((entry) => entry.startsWith('racing'))).toEqual([]);
  });

  it('a dump create that fills the disk exits 1 naming the datastore, and leaves nothing', { timeout: 300_000 }, async (context) => {
    const dir = join(workspace.dir, 'small-disk');
    await mkdir(dir);
    const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]).status === 0;
    if (!mounted) {
      // A 2 MiB tmpfs needs root; the test above covers the race with a datastore that fails.
      context.skip();
      return;
    }
    try {
      const smallConfig = await workspace.writeConfig(`source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${dir}\n`);
      for (const jobs of ['1', '3']) {
        const result = await runCli(['-c', smallConfig, 'dump', 'create', '-n', `full-${jobs}`, '--jobs', jobs]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`^error: datastore\\.local_disk\\.dir ${dir}: disk full \\(ENOSPC\\) while writing full-${jobs}/\\d{6}\\.chunk\\n$`, 'm'));
        expect(await tree(dir)).toEqual([]);
        expect((await stat(dir)).isDirectory()).toBe(true);
      }
    } finally {
      spawnSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('leftovers in an S3 bucket', () => {
  let server: TestS3Server;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([startS3Server(), createWorkspace()]);
  });
  afterAll(async () => {
    await Promise.all([server?.remove(), workspace?.remove()]);
  });

  it('--prune-failed deletes objects and aborts the multipart uploads left open, and keeps the dumps', { timeout: 300_000 }, async () => {
    const configPath = await workspace.writeConfig(server.datastoreYaml({ prefix: 'team' }));
    const datastore = await openDatastore(workspace.config(server.datastoreYaml({ prefix: 'team' })));
    const writer = await DumpWriter.begin(datastore, { name: 'kept', compression: 'zstd' });
    await writer.writePart({ kind: 'sql', section: 'pre-data', label: 'schema', encoding: 'sql' }, Readable.from([Buffer.from('CREATE TABLE t (id int);\n')]));
    await writer.commit({ engine: { kind: 'postgresql' }, source: { kind: 'live', database: 'app' }, schemas: ['public'], transformed: [] });

    // A run killed during a chunk's multipart upload: chunks, its claim, and the upload still open.
    await datastore.putAtomic('dump-1700000000000/000001.chunk', Buffer.from('left'));
    await deadClaim(datastore, 'dump-1700000000000');
    const client = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY } });
    for (const key of ['team/dump-1700000000000/000002.chunk', 'team/dump-1700000000001/000001.chunk']) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }));
      await client.send(new UploadPartCommand({ Bucket: server.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 1) }));
    }
    client.destroy();
    expect(await server.incompleteUploads()).toHaveLength(2);

    const pruned = await runCli(['-c', configPath, 'dump', 'delete', '--prune-failed']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(
      /^deleted the leftovers of unfinished dump dump-1700000000000 \(2 objects, open multipart uploads, last written \d+ seconds? ago\)\ndeleted the leftovers of unfinished dump dump-1700000000001 \(0 objects, open multipart uploads\)\n$/,
    );
    expect(await server.incompleteUploads()).toEqual([]);
    const keys: string[] = [];
    for await (const key of datastore.list('')) keys.push(key);
    expect(keys.every((key) => key.startsWith('kept/'))).toBe(true);
    expect((await listDumps(datastore)).map((dump) => dump.name)).toEqual(['kept']);
    await datastore.close();
    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'kept']);
    expect(verified.code, verified.stderr).toBe(0);
  });
});

/**
 * Local disk, but the data part's chunk fails at once (disk full) and the post-data part's chunk only
 * reaches the disk 300 ms after it was opened: a clean-up that does not wait for it is overtaken by it.
 */
class RacingDatastore implements Datastore {
  constructor(private readonly inner: Datastore) {}
  get description() {
    return this.inner.description;
  }
  async put(key: string, body: Readable): Promise<void> {
    if (key.endsWith('000002.chunk')) {
      body.resume();
      throw new DatastoreError(`datastore.local_disk.dir: disk full (ENOSPC) while writing ${key}`);
    }
    await sleep(300);
    await this.inner.put(key, body);
  }
  putAtomic = (key: string, body: Buffer) => this.inner.putAtomic(key, body);
  get = (key: string) => this.inner.get(key);
  getSmall = (key: string, maxBytes?: number) => this.inner.getSmall(key, maxBytes);
  list = (prefix: string) => this.inner.list(prefix);
  listDetailed = (prefix: string) => this.inner.listDetailed(prefix);
  listTopLevel = () => this.inner.listTopLevel();
  listTopLevelOpenUploads = () => this.inner.listTopLevelOpenUploads();
  deletePrefix = (prefix: string, options?: { except?: string }) => this.inner.deletePrefix(prefix, options);
  delete = (key: string) => this.inner.delete(key);
  close = () => this.inner.close();
}
