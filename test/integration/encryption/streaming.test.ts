import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { encryptedConfigYaml, keyEnv } from './encrypted-fixture.js';

const ROWS = 1_100_000;

describe('restoring a large encrypted dump', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, target, workspace] = await Promise.all([createTestDatabase('big'), createTestDatabase('bigdst'), createWorkspace()]);
    // ~150 MB of COPY text: four md5 digests a row, which zstd cannot squeeze to nothing.
    await source.sql(`CREATE TABLE public.big AS
      SELECT g AS id, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text) AS payload
      FROM generate_series(1, ${ROWS}) g`);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([source?.drop(), target?.drop(), workspace?.remove()]);
  });

  it('streams through a 64 MB heap: the CLI restores ~150 MB of rows with --max-old-space-size=64', async () => {
    const yaml = encryptedConfigYaml({ source: source.uri, destination: target.uri, store: workspace.storeDir }).replace('compression: none', 'compression: true');
    const manifest = await createDump(workspace.config(yaml, { ...process.env, ...keyEnv }), { name: 'big' });
    expect(manifest.totals.rawBytes).toBeGreaterThan(145_000_000);
    expect(manifest.encryption).not.toBeNull();

    const configPath = await workspace.writeConfig(yaml);
    const restore = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'big'], {
      env: keyEnv,
      nodeArgs: ['--max-old-space-size=64'],
      timeoutMs: 900_000,
    });
    expect(restore.stderr).toMatch(/restored 1 tables and 1100000 rows/);
    expect(restore.code).toBe(0);
    expect(await target.sql('SELECT count(*)::int AS n, sum(length(payload))::bigint::text AS bytes FROM public.big')).toEqual([
      { n: ROWS, bytes: String(ROWS * 128) },
    ]);
  }, 1_200_000);
});
