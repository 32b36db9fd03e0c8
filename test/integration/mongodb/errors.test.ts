import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Binary, BSON, Long } from 'mongodb';
import { Crc64, encodeDocument, magicBytes, TERMINATOR } from '../../../src/encode/mongo-archive.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump } from '../../../src/index.js';
import { loadFixture } from '../../fixtures/mongodb/collections.js';
import { runCli } from '../../support/cli.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function yaml(uri: string, store: string, transformers = ''): string {
  return `
salt: s
source:
  connection_uri: '${uri}'
${transformers}
datastore:
  local_disk:
    dir: ${store}
`;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('MongoDB errors', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    await loadFixture(server.uri('app'), 20);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('names a malformed URI in one line, without the password', async () => {
    const config = workspace.config(yaml('mongodb://admin:hunter2@127.0.0.1:notaport/app', workspace.storeDir));
    const error = await createDump(config, { name: 'bad-uri' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^source\.connection_uri is not a valid MongoDB URI/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('says the server is unreachable (a closed port on 127.0.0.1), without the password', async () => {
    const port = await closedPort();
    const path = await workspace.writeConfig(yaml(`mongodb://admin:hunter2@127.0.0.1:${port}/app?serverSelectionTimeoutMS=1500`, workspace.storeDir));
    const result = await runCli(['-c', path, 'dump', 'create', '-n', 'unreachable']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`error: cannot connect to the source mongodb://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app.*connection refused`));
    expect(result.stderr).not.toContain('hunter2');
  });

  it('warns with the count when a path matches nothing, and refuses an unknown collection', async () => {
    const transformers = `  transformers:
    - database: app
      table: users
      columns:
        - { name: profile.emial, transformer_name: email }`;
    const reporter = new CollectingReporter();
    await createDump(workspace.config(yaml(server.uri('app'), workspace.storeDir, transformers)), { name: 'typo', reporter });
    expect(reporter.lines).toContain('warning: app.users: the path profile.emial matched nothing in 20 documents (check its spelling)');

    const unknown = transformers.replace('table: users', 'table: userz');
    await expect(createDump(workspace.config(yaml(server.uri('app'), workspace.storeDir, unknown)), { name: 'unknown' })).rejects.toThrow(
      /source\.transformers\[0\]\.table: no table app\.userz in the source/,
    );
  });

  it('refuses a document larger than 16 MiB with its collection and _id', async () => {
    const big = Buffer.from(BSON.serialize({ _id: 'huge-1', blob: new Binary(Buffer.alloc(16 * 1024 * 1024 + 512 * 1024, 7)) }));
    server.insertRaw('big', 'blobs', [Buffer.from(BSON.serialize({ _id: 'small' })), big]);
    const error = await createDump(workspace.config(yaml(server.uri('big'), workspace.storeDir)), { name: 'too-big' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^dumping collection big\.blobs: document \{"_id":"huge-1"\} is 17301\d\d\d bytes, over MongoDB's 16 MiB document limit/);
  });

  it('refuses a mongodump archive whose documents do not match their CRC', async () => {
    const documents = [encodeDocument({ _id: 1, email: 'a@b.c' }), encodeDocument({ _id: 2, email: 'd@e.f' })];
    const crc = new Crc64().update(documents[0]!).digest(); // the CRC of the first document only
    const archive = Buffer.concat([
      magicBytes(),
      encodeDocument({ concurrent_collections: 1, version: '0.1', server_version: '7.0.0', tool_version: 'test' }),
      encodeDocument({ db: 'app', collection: 'users', metadata: '{"options":{},"indexes":[],"type":"collection"}', size: 40 }),
      TERMINATOR,
      encodeDocument({ db: 'app', collection: 'users', EOF: false, CRC: Long.ZERO }),
      ...documents,
      TERMINATOR,
      encodeDocument({ db: 'app', collection: 'users', EOF: true, CRC: crc }),
      TERMINATOR,
    ]);
    const config = workspace.config(yaml(server.uri('app'), workspace.storeDir));
    await expect(createDump(config, { name: 'damaged', sourceType: 'mongodb', input: Readable.from([archive]) })).rejects.toThrow(
      'mongodump archive: the documents of app.users do not match their CRC: the archive is damaged',
    );
    await expect(createDump(config, { name: 'not-archive', sourceType: 'mongodb', input: Readable.from([Buffer.from('hello world')]) })).rejects.toThrow(/not a mongodump archive/);
  });

  it('source schema lists the collections; source scan and init say why they do not apply', async () => {
    const config = await workspace.writeConfig(yaml(server.uri('app'), workspace.storeDir));
    const schema = await runCli(['-c', config, 'source', 'schema']);
    expect(schema.code).toBe(0);
    expect(schema.stdout).toContain('app.users\n');
    expect(schema.stdout).toContain('app.accounts\n');
    const scan = await runCli(['source', 'scan', '--uri', server.uri('app')]);
    expect(scan.code).toBe(1);
    expect(scan.stderr).toMatch(/MongoDB has none to list/);
  });
});
