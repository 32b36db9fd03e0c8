import { Binary, BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { topLevelElements } from '../../../src/encode/bson-elements.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { wideBlob, wideText } from '../../support/wide-values.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** Each top-level field's bytes (type, name, value) by name. */
function fieldBytes(raw: Buffer): Map<string, string> {
  return new Map(topLevelElements(raw)!.map((e) => [e.name, raw.subarray(e.start, e.end).toString('hex')]));
}

/**
 * Wide documents (#18): documents of several MB, with a transformed field beside the wide ones, come
 * back with every other field byte for byte (only the rewritten field is decoded and encoded again).
 */
describe('MongoDB wide documents (against the wire-protocol test server)', () => {
  let server: MongoTestServer;
  let workspace: Workspace;
  const documents = [
    { _id: 1, name: 'Ann', body: 'x'.repeat(6 << 20), data: new Binary(wideBlob(3 << 20, 1)), nested: { dense: wideText(1 << 20, 1), n: 1 } },
    { _id: 2, body: wideText(2 << 20, 2), name: 'Bob', list: [wideText(1 << 20, 3), 2, null] },
    { _id: 3, name: null, body: 'short' },
  ];

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    const client = new MongoClient(server.uri('app'));
    try {
      await client.db().collection<{ _id: number }>('wide').insertMany(documents);
    } finally {
      await client.close();
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('dumps and restores documents of several MB, every field but the transformed one byte for byte', async () => {
    const config = workspace.config(`
salt: test-salt
source:
  connection_uri: ${server.uri('app')}
  transformers:
    - database: app
      table: wide
      columns:
        - { name: name, transformer_name: first-name }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${server.uri('restored')}
`);
    const manifest = await createDump(config, { name: 'wide' });
    expect(manifest.parts.find((p) => p.table === 'wide')?.rows).toBe(documents.length);
    await restoreDump(config, { value: 'wide' });
    const before = server.rawDocuments('app', 'wide');
    const after = server.rawDocuments('restored', 'wide');
    expect(after).toHaveLength(documents.length);
    before.forEach((raw, i) => {
      const original = fieldBytes(raw);
      const back = fieldBytes(after[i]!);
      expect([...back.keys()]).toEqual([...original.keys()]);
      for (const [name, bytes] of original) {
        if (name === 'name' && documents[i]!.name !== null) expect(back.get(name), `document ${i + 1}: ${name}`).not.toBe(bytes);
        else expect(back.get(name), `document ${i + 1}: ${name}`).toBe(bytes);
      }
    });
    expect(BSON.deserialize(after[0]!).name).toEqual(expect.any(String));
  }, 180_000);
});
