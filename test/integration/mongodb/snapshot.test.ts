import { Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump } from '../../../src/index.js';
import { loadFixture } from '../../fixtures/mongodb/collections.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

describe('MongoDB snapshot reads', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start({ replicaSet: true }), createWorkspace()]);
    await loadFixture(server.uri('app'), 30);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  it('reads every collection of a replica set at one cluster time (readConcern: snapshot)', async () => {
    const config = workspace.config(`
source:
  connection_uri: ${server.uri('app')}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    server.commands.length = 0;
    const reporter = new CollectingReporter();
    await createDump(config, { name: 'snapshot', reporter });
    expect(reporter.lines.join('\n')).toMatch(/one snapshot \(readConcern: snapshot\)/);
    const finds = server.commands.filter((c) => c.name === 'find');
    expect(finds.map((c) => c.body.find)).toEqual(['accounts', 'events', 'metrics', 'sessions', 'users']);
    const concerns = finds.map((c) => c.body.readConcern as { level: string; atClusterTime?: Timestamp });
    expect(concerns.every((c) => c.level === 'snapshot')).toBe(true);
    // The first read fixes the snapshot; every later one asks for that same cluster time.
    expect(concerns[0]!.atClusterTime).toBeUndefined();
    const times = concerns.slice(1).map((c) => c.atClusterTime?.toString());
    expect(new Set(times).size).toBe(1);
    expect(times[0]).toBeDefined();
  });
});
