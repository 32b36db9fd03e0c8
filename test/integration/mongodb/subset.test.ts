import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { loadFixture } from '../../fixtures/mongodb/collections.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function yaml(server: MongoTestServer, store: string, destination: string, strategy: string): string {
  return `
source:
  connection_uri: ${server.uri('app')}
  database_subset:
    database: app
    table: users
${strategy}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${server.uri(destination)}
`;
}

describe('MongoDB subset', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    await loadFixture(server.uri('app'), 400);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('keeps about percent of the start collection and every other collection whole', async () => {
    const config = workspace.config(yaml(server, workspace.storeDir, 'percent', '    strategy_name: random\n    strategy_options: { percent: 25 }'));
    const manifest = await createDump(config, { name: 'percent' });
    const users = manifest.parts.find((p) => p.table === 'users')!.rows!;
    expect(users).toBeGreaterThan(50);
    expect(users).toBeLessThan(150);
    expect(manifest.parts.find((p) => p.table === 'accounts')!.rows).toBe(30);
    await restoreDump(config, { value: 'percent' });
    expect(server.rawDocuments('percent', 'users')).toHaveLength(users);
  });

  it('keeps the documents a query matches (Extended JSON)', async () => {
    const strategy = "    strategy_name: query\n    strategy_options: { query: { 'profile.city': Lyon, age: { $gte: { $numberInt: '40' } } } }";
    const manifest = await createDump(workspace.config(yaml(server, workspace.storeDir, 'query', strategy)), { name: 'query' });
    const expected = server.documents('app', 'users').filter((d) => (d.profile as { city: string }).city === 'Lyon' && Number(d.age) >= 40).length;
    expect(expected).toBeGreaterThan(0);
    expect(manifest.parts.find((p) => p.table === 'users')!.rows).toBe(expected);
  });

  it('refuses targets, max_rows and include with a reason: without foreign keys there is no closure to keep', async () => {
    const config = workspace.config(yaml(server, workspace.storeDir, 'targets', '    strategy_name: random\n    strategy_options: { percent: 25 }\n    max_rows: { users: 10 }'));
    const error = await createDump(config, { name: 'targets' }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/single-collection form only .*targets, max_rows and include need foreign keys/);
  });
});
