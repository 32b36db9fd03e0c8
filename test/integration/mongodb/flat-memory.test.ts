import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../support/cli.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const DOCUMENTS = 110_000;
/** Above one insert batch and one cursor batch, so that the baseline holds every buffer a run holds. */
const SMALL = 20_000;
const MAX_RSS = fileURLToPath(new URL('../../support/max-rss.mjs', import.meta.url));

/** ~1 KiB documents, made on demand by the test server (it never holds the source collection). */
function profile(i: number) {
  return {
    _id: i,
    email: `user${i}@example.com`,
    bio: `${i.toString(36)} `.repeat(1 + (i % 7)) + 'lorem ipsum dolor sit amet '.repeat(33),
    tags: ['a', 'b', `t${i % 100}`],
  };
}

function peakRssMb(stderr: string): number {
  const match = /max-rss-kb=(\d+)/.exec(stderr);
  if (!match) throw new Error(`no max-rss line in: ${stderr}`);
  return Number(match[1]) / 1024;
}

describe('MongoDB memory stays flat', () => {
  let server: MongoTestServer;
  let workspace: Workspace;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    server.addGeneratedCollection('big', 'profiles', DOCUMENTS, profile);
    server.addGeneratedCollection('small', 'profiles', SMALL, profile);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), workspace?.remove()]);
  });

  /**
   * The CLI's heap starts at ~55 MB before reading anything (@snaplet/copycat alone takes ~37 MB when the
   * transformers are loaded), so a 64 MB heap leaves no room for any engine; 128 MB is the limit here,
   * and flatness is shown by comparing a 20,000-document (~20 MB) run with a 110,000-document (>100 MB) one.
   */
  it('dumps and restores a >100 MB collection in the memory of a 20 MB one', async () => {
    const runs: Record<string, { dump: number; restore: number; bytes: number }> = {};
    for (const database of ['small', 'big']) {
      const path = await workspace.writeConfig(`
salt: s
source:
  connection_uri: ${server.uri(database)}
  transformers:
    - database: ${database}
      table: profiles
      columns:
        - { name: email, transformer_name: email }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${server.uri(`${database}_restored`)}
`);
      const count = database === 'big' ? DOCUMENTS : SMALL;
      const nodeArgs = ['--max-old-space-size=128', '--import', MAX_RSS];
      const dump = await runCli(['-c', path, 'dump', 'create', '-n', database], { nodeArgs, timeoutMs: 300_000 });
      expect(dump.stderr).toMatch(new RegExp(`${database}\\.profiles: ${count} documents`));
      expect(dump.code).toBe(0);
      const restore = await runCli(['-c', path, 'dump', 'restore', 'remote', '-v', database], { nodeArgs, timeoutMs: 300_000 });
      expect(restore.code).toBe(0);
      const stored = server.rawDocuments(`${database}_restored`, 'profiles');
      expect(stored).toHaveLength(count);
      runs[database] = { dump: peakRssMb(dump.stderr), restore: peakRssMb(restore.stderr), bytes: stored.reduce((sum, raw) => sum + raw.length, 0) };
    }
    const { small, big } = runs as Record<'small' | 'big', { dump: number; restore: number; bytes: number }>;
    console.log(
      `peak RSS (MB): dump ${small.dump.toFixed(0)} for ${(small.bytes / 1e6).toFixed(1)} MB, ${big.dump.toFixed(0)} for ${(big.bytes / 1e6).toFixed(0)} MB; ` +
        `restore ${small.restore.toFixed(0)} and ${big.restore.toFixed(0)}`,
    );
    expect(big.bytes).toBeGreaterThan(100e6);
    expect(big.dump - small.dump).toBeLessThan(40);
    expect(big.restore - small.restore).toBeLessThan(40);
  }, 900_000);
});
