/**
 * `when:` conditions and options read from the document, by field path, against the wire-protocol test
 * server: staff documents stay as they are, the others get a fake first name and an email made from it;
 * a condition compares a nested Int32 as a number and a BSON date as a date.
 */
import { Int32, MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function yaml(server: MongoTestServer, store: string): string {
  return `
salt: conditions-salt
source:
  connection_uri: ${server.uri('app')}
  transformers:
    - database: app
      table: people
      columns:
        - { name: profile.first, transformer_name: first-name, when: "profile.role <> 'staff' and profile.level >= 2" }
        - name: email
          transformer_name: email
          when: "profile.role <> 'staff' and profile.level >= 2 and joined >= '2020-01-05'"
          transformer_options: { first_name: { transformed: profile.first } }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${server.uri('restored')}
`;
}

describe('conditions and options read from the document (MongoDB)', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    const client = await MongoClient.connect(server.uri('app'));
    try {
      await client
        .db('app')
        .collection<{ _id: number }>('people')
        .insertMany(
          Array.from({ length: 60 }, (_, i) => ({
            _id: i,
            profile: { first: `First${i}`, role: i % 5 === 0 ? 'staff' : 'customer', level: new Int32(i % 12) },
            email: `person${i}@acme.com`,
            joined: new Date(Date.UTC(2020, 0, 1 + (i % 10))),
          })),
        );
    } finally {
      await client.close();
    }
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('transforms only the documents where the condition holds, the email from the fake first name', async () => {
    const config = workspace.config(yaml(server, workspace.storeDir));
    const manifest = await createDump(config, { name: 'mongo-cond' });
    expect(manifest.transformed.map((t) => t.when)).toEqual(["profile.role <> 'staff' and profile.level >= 2", "profile.role <> 'staff' and profile.level >= 2 and joined >= '2020-01-05'"]);
    await restoreDump(config, { value: 'mongo-cond' });
    const before = server.documents('app', 'people') as Document[];
    const after = server.documents('restored', 'people') as Document[];
    expect(after).toHaveLength(60);
    let emails = 0;
    for (const [i, document] of after.entries()) {
      const original = before[i]!;
      const profile = document.profile as Document;
      const originalProfile = original.profile as Document;
      const level = i % 12; // 10 and 11 too: compared as numbers, not as text ('10' < '2')
      if (originalProfile.role === 'staff' || level < 2) {
        expect(document).toEqual(original);
        continue;
      }
      expect(profile.first).not.toBe(originalProfile.first);
      if ((original.joined as Date) < new Date('2020-01-05T00:00:00Z')) {
        expect(document.email).toBe(original.email);
        continue;
      }
      emails += 1;
      expect(document.email).toMatch(/@example\.(com|net|org)$/);
      expect((document.email as string).startsWith((profile.first as string).normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase())).toBe(true);
    }
    expect(emails).toBeGreaterThan(10);
  });

  it('refuses a condition that does not parse, naming its place', async () => {
    const config = workspace.config(yaml(server, workspace.storeDir).replace("profile.level >= 2\" }", 'profile.level >= " }'));
    await expect(createDump(config, { name: 'mongo-cond-broken' })).rejects.toThrow(/source\.transformers\[0\]\.columns\[0\]\.when: cannot parse the condition/);
  });
});
