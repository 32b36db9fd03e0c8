import { Writable } from 'node:stream';
import { BSON, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump, restoreToScript } from '../../../src/index.js';
import { loadFixture } from '../../fixtures/mongodb/collections.js';
import { runCli } from '../../support/cli.js';
import { exactTypes, MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TRANSFORMED_PATHS = ['profile.email', 'contacts.$.phone', 'aliases.$[]'];

function configYaml(server: MongoTestServer, store: string, destination: string): string {
  return `
salt: test-salt
source:
  connection_uri: ${server.uri('app')}
  transformers:
    - database: app
      table: users
      columns:
        - { name: profile.email, transformer_name: email }
        - { name: contacts.$.phone, transformer_name: redacted }
        - { name: 'aliases.$[]', transformer_name: random }
  skip:
    - { database: app, table: sessions }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${server.uri(destination)}
`;
}

/** Canonical Extended JSON: every BSON type spelled out, so Int32 1 and Double 1 differ. */
const canonical = (value: unknown) => BSON.EJSON.stringify(value as Document, { relaxed: false });

function withoutTransformed(document: Document): Document {
  const copy = BSON.deserialize(BSON.serialize(document), exactTypes);
  delete (copy.profile as Document).email;
  for (const contact of copy.contacts as Document[]) if (typeof contact.phone === 'string') delete contact.phone;
  delete copy.aliases;
  return copy;
}

const indexesOf = (server: MongoTestServer, db: string, name: string) =>
  canonical((server.collectionInfo(db, name)?.indexes ?? []).map(({ v: _v, ...spec }) => spec).sort((a, b) => String(a.name).localeCompare(String(b.name))));

async function collect(write: (output: Writable) => Promise<unknown>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pieces.push(chunk);
      callback();
    },
  });
  await write(output);
  return Buffer.concat(pieces);
}

describe('MongoDB round trip (against the wire-protocol test server)', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    await loadFixture(server.uri('app'));
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('keeps every BSON type, transforms nested and array paths, restores options, indexes and views', async () => {
    const config = workspace.config(configYaml(server, workspace.storeDir, 'restored'));
    const reporter = new CollectingReporter();
    const manifest = await createDump(config, { name: 'mongo-round-trip', reporter });
    expect(manifest.engine.kind).toBe('mongodb');
    expect(manifest.engine.serverVersion).toBe('7.0.14');
    expect(manifest.transformed.map((t) => t.column)).toEqual(TRANSFORMED_PATHS);
    const dataParts = manifest.parts.filter((p) => p.kind === 'table-data');
    expect(dataParts.map((p) => [p.table, p.rows, p.encoding])).toEqual([
      ['accounts', 30, 'bson-documents'],
      ['events', 40, 'bson-documents'],
      ['metrics', 25, 'bson-documents'],
      ['users', 120, 'bson-documents'],
    ]);
    // The fax number is an Int32: left as it was, and said so.
    expect(reporter.lines.join('\n')).toMatch(/contacts\.\$\.phone reached 120 values that are not strings/);
    // A standalone server has no snapshot, and the dump says which guarantee it gave.
    expect(reporter.lines.join('\n')).toMatch(/standalone server: no snapshot/);

    server.commands.length = 0;
    const summary = await restoreDump(config, { value: 'latest' });
    expect(summary.rows).toBe(215);
    const inserts = server.commands.filter((c) => c.name === 'insert');
    expect(inserts.every((c) => c.body.ordered === false)).toBe(true);
    // Indexes come after the data.
    const names = server.commands.map((c) => c.name);
    expect(names.indexOf('createIndexes')).toBeGreaterThan(names.lastIndexOf('insert'));

    // Untouched collections: byte for byte.
    for (const name of ['accounts', 'events', 'metrics']) {
      expect(server.rawDocuments('restored', name).map((b) => b.toString('hex'))).toEqual(server.rawDocuments('app', name).map((b) => b.toString('hex')));
    }
    expect(server.collectionInfo('restored', 'sessions')).toBeUndefined();

    // users: every field but the transformed ones identical, types included.
    const before = server.documents('app', 'users');
    const after = server.documents('restored', 'users');
    expect(after).toHaveLength(before.length);
    expect(after.map((d) => canonical(withoutTransformed(d)))).toEqual(before.map((d) => canonical(withoutTransformed(d))));
    for (const [index, document] of after.entries()) {
      const original = before[index]!;
      const profile = document.profile as Document;
      expect(profile.email).toMatch(/@/);
      expect(profile.email).not.toBe((original.profile as Document).email);
      const contacts = document.contacts as Document[];
      expect(contacts[0]!.phone).toBe(`${String((original.contacts as Document[])[0]!.phone).slice(0, 3)}**********`);
      expect(canonical(contacts[2]!.phone)).toBe('{"$numberInt":"12345"}');
      const aliases = document.aliases as string[];
      expect(aliases).toHaveLength(2);
      expect(aliases[0]).not.toBe((original.aliases as string[])[0]);
    }
    // Deterministic: the same email in gives the same email out.
    const again = await createDump(config, { name: 'mongo-round-trip-2' });
    expect(again.parts.find((p) => p.table === 'users')!.chunks[0]!.sha256).toBe(manifest.parts.find((p) => p.table === 'users')!.chunks[0]!.sha256);

    for (const name of ['users', 'accounts', 'events', 'metrics']) {
      expect(indexesOf(server, 'restored', name)).toBe(indexesOf(server, 'app', name));
      expect(canonical(server.collectionInfo('restored', name)!.options)).toBe(canonical(server.collectionInfo('app', name)!.options));
      expect(server.collectionInfo('restored', name)!.type).toBe(server.collectionInfo('app', name)!.type);
    }
    expect(server.collectionInfo('restored', 'adults')).toMatchObject({ type: 'view', options: { viewOn: 'users' } });
  });

  it('wipes what the dump holds before a second restore (wipe_database)', async () => {
    const config = workspace.config(configYaml(server, workspace.storeDir, 'restored'));
    await restoreDump(config, { value: 'mongo-round-trip' });
    expect(server.rawDocuments('restored', 'users')).toHaveLength(120);
  });

  it('writes a mongodump archive with -o that dump create -s mongodb -i reads back', async () => {
    const config = workspace.config(configYaml(server, workspace.storeDir, 'restored'));
    const archive = await collect((output) => restoreToScript(config, { value: 'mongo-round-trip', output }));
    expect(archive.readUInt32LE(0)).toBe(0x8199e26d);

    const yaml = configYaml(server, workspace.storeDir, 'from_archive').replace(/transformers:[\s\S]*?skip:/, 'skip:').replace(/ {2}skip:\n.*\n/, '');
    const path = await workspace.writeConfig(yaml);
    const created = await runCli(['-c', path, 'dump', 'create', '-s', 'mongodb', '-i', '-n', 'from-archive'], { input: archive });
    expect(created.stderr).toMatch(/reading a mongodump archive of app/);
    expect(created.code).toBe(0);
    const restored = await runCli(['-c', path, 'dump', 'restore', 'remote', '-v', 'from-archive']);
    expect(restored.stderr).toMatch(/restored 5 collections and 215 documents/);
    expect(restored.code).toBe(0);
    for (const name of ['users', 'accounts', 'events', 'metrics']) {
      expect(server.rawDocuments('from_archive', name).map((b) => b.toString('hex'))).toEqual(server.rawDocuments('restored', name).map((b) => b.toString('hex')));
      expect(indexesOf(server, 'from_archive', name)).toBe(indexesOf(server, 'app', name));
    }
  });

  it('refuses to restore a MongoDB dump into PostgreSQL', async () => {
    const config = workspace.config(configYaml(server, workspace.storeDir, 'restored').replace(/destination:\n {2}connection_uri: .*/, 'destination:\n  connection_uri: postgres://postgres@127.0.0.1:5432/nowhere'));
    await expect(restoreDump(config, { value: 'mongo-round-trip' })).rejects.toThrow(/holds a mongodb database/);
  });
});
