import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Datastore, type S3DatastoreOptions } from '../../../src/datastores/s3/s3-datastore.js';
import { ReplibyteError } from '../../../src/errors.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, type TestS3Server } from '../../support/s3-server.js';

const MiB = 1024 * 1024;

/** A stream of `total` pseudo-random bytes made piece by piece (never held whole), and its SHA-256. */
function randomStream(total: number, seed: string): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let counter = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const size = Math.min(256 * 1024, total - produced);
      const block = Buffer.alloc(size);
      for (let offset = 0; offset < size; offset += 32) {
        createHash('sha256').update(`${seed}:${counter++}`).digest().copy(block, offset);
      }
      produced += size;
      hash.update(block);
      this.push(block);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of stream) {
    hash.update(piece as Buffer);
    bytes += (piece as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all.sort();
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe('S3 datastore against s3rver', () => {
  let server: TestS3Server;
  let proxy: FaultProxy;
  const options = (extra: Partial<S3DatastoreOptions> = {}): S3DatastoreOptions => ({
    bucket: server.bucket,
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    ...extra,
  });

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startFaultProxy(server.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.remove();
  });

  it('streams a 21 MiB object up in 5 MiB parts and back byte for byte, and aborts nothing that succeeded', async () => {
    const store = await S3Datastore.open(options({ prefix: 'big', partSize: 5 * MiB, queueSize: 2 }));
    const { stream, sha256 } = randomStream(21 * MiB, 'big');
    await store.put('d1/000001.chunk', stream);
    const back = await sha256Of(await store.get('d1/000001.chunk'));
    expect(back).toEqual({ sha256: sha256(), bytes: 21 * MiB });
    expect(await server.incompleteUploads()).toEqual([]);
    await store.deletePrefix('d1/');
    expect(await collect(store.list(''))).toEqual([]);
    await store.close();
  });

  it('lists every key past 1,000, every top-level name past 1,000, and deletes them in batches', async () => {
    const store = await S3Datastore.open(options({ prefix: '/many/' }));
    expect(store.description).toBe(`s3://${server.bucket}/many`);
    const chunks = Array.from({ length: 1_003 }, (_, i) => `wide/${String(i + 1).padStart(6, '0')}.chunk`);
    const names = Array.from({ length: 1_002 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    await inBatches(chunks, 32, (key) => store.putAtomic(key, Buffer.from(key)));
    await inBatches(names, 32, (name) => store.putAtomic(`${name}/manifest.json`, Buffer.from('{}')));

    expect(await collect(store.list('wide/'))).toEqual(chunks);
    const top = await store.listTopLevel();
    expect(top.sort()).toEqual([...names, 'wide'].sort());

    await store.deletePrefix('wide/');
    expect(await collect(store.list('wide/'))).toEqual([]);
    expect((await collect(store.list(''))).length).toBe(names.length);
    // Another prefix of the same bucket does not see these.
    const other = await S3Datastore.open(options({ prefix: 'other' }));
    expect(await other.listTopLevel()).toEqual([]);
    await other.close();
    await expect(store.deletePrefix('')).rejects.toThrow(/refused to delete the whole datastore/);
    await inBatches(await store.listTopLevel(), 32, (name) => store.deletePrefix(`${name}/`));
    expect(await store.listTopLevel()).toEqual([]);
    await store.close();
  });

  it('getSmall answers undefined for a missing key, get names it, delete of a missing key is fine', async () => {
    const store = await S3Datastore.open(options());
    expect(await store.getSmall('nope/manifest.json')).toBeUndefined();
    await expect(store.get('nope/000001.chunk')).rejects.toThrow(/nope\/000001\.chunk is missing/);
    await store.delete('nope/manifest.json');
    await store.close();
  });

  it('refuses a missing bucket by name, and never creates it', async () => {
    const error = await S3Datastore.open(options({ bucket: 'no-such-bucket' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplibyteError);
    expect((error as ReplibyteError).message).toBe('s3://no-such-bucket: bucket no-such-bucket does not exist');
    expect((error as ReplibyteError).hint).toMatch(/never creates/);
    const again = await S3Datastore.open(options({ bucket: 'no-such-bucket' })).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/does not exist/);
  });

  it('reports an unknown access key as access denied, without the secret', async () => {
    const secret = 'super-secret-value-123';
    const error = await S3Datastore.open(options({ credentials: { accessKeyId: 'WRONGKEY', secretAccessKey: secret } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplibyteError);
    expect((error as Error).message).toMatch(/^s3:\/\/dumps: access denied while trying to open the bucket/);
    expect((error as ReplibyteError).hint).toMatch(/datastore\.aws\.credentials/);
    expect(JSON.stringify({ m: (error as Error).message, h: (error as ReplibyteError).hint })).not.toContain(secret);
  });

  it('reports SignatureDoesNotMatch (a store that checks the secret) as access denied', async () => {
    proxy.answer = (request) =>
      request.method === 'HEAD'
        ? undefined
        : {
            status: 403,
            body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>',
          };
    try {
      const store = await S3Datastore.open(options({ endpoint: proxy.endpoint }));
      await expect(store.listTopLevel()).rejects.toThrow('s3://dumps: access denied while trying to list dumps (SignatureDoesNotMatch)');
      await store.close();
    } finally {
      proxy.answer = undefined;
    }
  });

  it('retries a 503 (SlowDown) and succeeds when the store recovers', async () => {
    let refusals = 0;
    proxy.answer = (request) => {
      if (request.method !== 'PUT' || refusals >= 2) return undefined;
      refusals += 1;
      return { status: 503, body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' };
    };
    try {
      const store = await S3Datastore.open(options({ endpoint: proxy.endpoint, maxAttempts: 4 }));
      await store.putAtomic('retry/manifest.json', Buffer.from('{"ok":true}'));
      expect(refusals).toBe(2);
      expect((await store.getSmall('retry/manifest.json'))?.toString()).toBe('{"ok":true}');
      await store.deletePrefix('retry/');
      await store.close();
    } finally {
      proxy.answer = undefined;
    }
  });

  it('gives up on a silent store after the request timeout, with a clear error', async () => {
    proxy.delayMs = 5_000;
    try {
      const started = Date.now();
      const error = await S3Datastore.open(options({ endpoint: proxy.endpoint, requestTimeoutMs: 300, maxAttempts: 2 })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplibyteError);
      expect((error as Error).message).toMatch(/^s3:\/\/dumps: open the bucket: the store did not answer in time/);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      proxy.delayMs = 0;
    }
  });
});
