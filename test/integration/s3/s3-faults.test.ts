import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, deleteDump, listDumps, openDatastore, readManifest, ReplibyteError, restoreToScript, type Config, type Datastore } from '../../../src/index.js';
import { createBigTable } from '../../support/big-table.js';
import { runCli } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type IncompleteUpload, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const MiB = 1024 * 1024;

/** Polls (bounded) until some multipart upload has a stored part. */
async function firstPartStored(server: TestS3Server, timeoutMs = 60_000): Promise<IncompleteUpload> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const uploads = await server.incompleteUploads();
    const started = uploads.find((upload) => upload.parts >= 1);
    if (started) return started;
    await sleep(10);
  }
  throw new Error('no multipart part was stored in time');
}

async function withDatastore<T>(config: Config, use: (datastore: Datastore) => Promise<T>): Promise<T> {
  const datastore = await openDatastore(config);
  try {
    return await use(datastore);
  } finally {
    await datastore.close();
  }
}

async function keysUnder(config: Config, prefix: string): Promise<string[]> {
  const datastore = await openDatastore(config);
  try {
    const keys: string[] = [];
    for await (const key of datastore.list(prefix)) keys.push(key);
    return keys;
  } finally {
    await datastore.close();
  }
}

async function dumpNames(config: Config): Promise<string[]> {
  const datastore = await openDatastore(config);
  try {
    return (await listDumps(datastore)).map((dump) => dump.name).sort();
  } finally {
    await datastore.close();
  }
}

describe('S3 faults: nothing half-written is listed, nothing is lost', () => {
  let server: TestS3Server;
  let proxy: FaultProxy;
  let source: TestDatabase;
  let workspace: Workspace;

  const yaml = (endpoint?: string, onlySmall = false) => `
source:
  connection_uri: ${source.uri}
  compression: false
${onlySmall ? '  only_tables: [{ database: public, table: small }]\n' : ''}${server.datastoreYaml({ prefix: 'faults', ...(endpoint && { endpoint }) })}`;
  const config = (endpoint?: string, onlySmall = false) => workspace.config(yaml(endpoint, onlySmall));

  beforeAll(async () => {
    [server, source, workspace] = await Promise.all([startS3Server(), createTestDatabase('s3fault'), createWorkspace()]);
    proxy = await startFaultProxy(server.endpoint);
    await createBigTable(source, 40);
    await source.sql(`CREATE TABLE small (id int PRIMARY KEY, name text); INSERT INTO small SELECT g, 'name ' || g FROM generate_series(1, 500) g`);
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([server?.remove(), source?.drop(), workspace?.remove()]);
  });

  // "The server stops" is played by the proxy in front of s3rver: it stops listening and cuts every
  // connection, then listens again on the same port.
  // These two tests once never settled: the S3 clean-up was bounded all along, but the failed part left
  // its COPY unread and the source's ROLLBACK queued behind it forever (fixed in PostgresSource).
  it('fails cleanly when the server stops mid-upload and comes back: not listed, no objects, no open multipart upload', { timeout: 300_000 }, async () => {
    await createDump(config(undefined, true), { name: 'kept' });
    const creating = createDump(config(proxy.endpoint), { name: 'cut', chunkSize: 24 * MiB });
    creating.catch(() => undefined);
    const upload = await firstPartStored(server);
    expect(upload.key).toMatch(/^faults\/cut\/\d{6}\.chunk$/);
    await proxy.cut();
    const stoppedAt = Date.now();
    const restarting = sleep(2_000).then(() => proxy.resume());

    const error = await creating.then(() => undefined, (e: unknown) => e);
    await restarting;
    expect(await server.incompleteUploads()).toEqual([]);
    expect(error).toBeInstanceOf(ReplibyteError);
    expect((error as Error).message).toMatch(new RegExp(`^dumping table public\\.big: s3://dumps/faults: cannot reach the store at ${proxy.endpoint} to store cut/\\d{6}\\.chunk \\((ECONNREFUSED|ECONNRESET|EPIPE)\\)$`));
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);

    expect(await dumpNames(config())).toEqual(['kept']);
    expect(await keysUnder(config(), 'cut/')).toEqual([]);
    expect(await server.incompleteUploads()).toEqual([]);
  });

  it('fails in bounded time when the server stays down: `dump create` exits 1 with one line; the next run of the same name clears what was left', { timeout: 300_000 }, async () => {
    // The CLI, not createDump: the process must also exit, so nothing (an S3 socket, the source's
    // connection) may be left waiting once the error is printed.
    const configPath = await workspace.writeConfig(yaml(proxy.endpoint));
    const creating = runCli(['-c', configPath, 'dump', 'create', '-n', 'down', '--jobs', '1'], { timeoutMs: 120_000 });
    const upload = await firstPartStored(server);
    expect(upload.key).toMatch(/^faults\/down\/\d{6}\.chunk$/);
    await proxy.cut();
    const stoppedAt = Date.now();
    const result = await creating;
    const elapsed = Date.now() - stoppedAt;
    await proxy.resume();
    expect(result.code, result.stderr).toBe(1);
    // The progress line, then one error line naming the bucket, the endpoint and the chunk: nothing else.
    expect(result.stderr).toMatch(
      /^dumping \S+ \(PostgreSQL [\d.]+\) with pg_dump [\d.]+\nerror: dumping table public\.big: s3:\/\/dumps\/faults: cannot reach the store at http:\/\/127\.0\.0\.1:\d+ to store down\/\d{6}\.chunk \((ECONNREFUSED|ECONNRESET|EPIPE)\)\n$/,
    );
    // The clean-up's retries (a few seconds, budget 20 s) and the removal of the chunks, then the exit.
    expect(elapsed).toBeLessThan(30_000);

    expect(await dumpNames(config())).toEqual(['kept']);
    // The store was unreachable while the dump failed: its open upload could not be aborted then.
    expect((await server.incompleteUploads()).map((left) => left.key)).toEqual([upload.key]);
    // The next `dump create` of the same name clears the chunks and aborts the upload before it writes.
    const again = await runCli(['-c', await workspace.writeConfig(yaml(undefined, true)), 'dump', 'create', '-n', 'down']);
    expect(again.code, again.stderr).toBe(0);
    expect(await server.incompleteUploads()).toEqual([]);
    expect(await dumpNames(config())).toEqual(['down', 'kept']);
    const manifest = await withDatastore(config(), (datastore) => readManifest(datastore, 'down'));
    const chunks = manifest.parts.flatMap((part) => part.chunks.map((chunk) => `down/${chunk.key}`));
    expect((await keysUnder(config(), 'down/')).sort()).toEqual([...chunks, 'down/manifest.json'].sort());

    const datastore = await openDatastore(config());
    await deleteDump(datastore, 'down');
    await datastore.close();
    expect(await keysUnder(config(), 'down/')).toEqual([]);
  });

  it('works through a slow server, and gives up on a silent one with a clear error, keeping the earlier dumps', { timeout: 300_000 }, async () => {
    proxy.delayMs = 150;
    try {
      await createDump(config(proxy.endpoint, true), { name: 'slow' });
    } finally {
      proxy.delayMs = 0;
    }
    expect(await dumpNames(config())).toEqual(['kept', 'slow']);

    proxy.delayMs = 20_000;
    const started = Date.now();
    const configPath = await workspace.writeConfig(yaml(proxy.endpoint, true));
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', 'silent'], {
      env: { REPLIBYTE_S3_TIMEOUT_MS: '500', AWS_MAX_ATTEMPTS: '2' },
    });
    proxy.delayMs = 0;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: s3:\/\/dumps\/faults: open the bucket: the store did not answer in time \(TimeoutError\)/);
    expect(Date.now() - started).toBeLessThan(15_000);

    expect(await dumpNames(config())).toEqual(['kept', 'slow']);
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    });
    await restoreToScript(config(), { value: 'slow', output: sink });
    expect(bytes).toBeGreaterThan(5_000);
  });
});
