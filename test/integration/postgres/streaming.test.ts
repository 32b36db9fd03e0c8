import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { sampleSeed, sampleThreshold } from '../../../src/subset/postgres/postgres-subset.js';

const ROWS = 1_000_000; // about 330 MB of COPY text
const HEAP = '--max-old-space-size=64';

/** Runs the CLI with a 64 MB heap and reports its peak resident memory (GNU time's `%M`, in KiB). */
async function runMeasured(args: string[], workspace: Workspace): Promise<{ code: number | null; stderr: string; peakMiB: number }> {
  const report = join(workspace.dir, `time-${Date.now()}.txt`);
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, process.execPath, HEAP, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const peakKiB = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
  return { code, stderr, peakMiB: peakKiB / 1024 };
}

describe('streaming: a table far larger than the process heap', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let workspace: Workspace;
  let configPath: string;

  beforeAll(async () => {
    [source, restored, workspace] = await Promise.all([createTestDatabase('big'), createTestDatabase('bigdst'), createWorkspace()]);
    await source.sql(`CREATE TABLE public.big (id integer PRIMARY KEY, email text, payload text NOT NULL);
      INSERT INTO public.big SELECT g, 'user' || g || '@example.com', repeat(md5(g::text), 9) FROM generate_series(1, ${ROWS}) g`);
    configPath = await workspace.writeConfig(`
salt: streaming-test
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: big
      columns: [{ name: email, transformer_name: redacted }]
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${restored.uri}
`);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), workspace?.remove()]);
  });

  it('dumps and restores it with a 64 MB heap', async () => {
    const created = await runMeasured(['-c', configPath, 'dump', 'create', '-n', 'big'], workspace);
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    const restoredRun = await runMeasured(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'big'], workspace);
    expect(restoredRun.stderr).not.toContain('error');
    expect(restoredRun.code).toBe(0);
    // 330 MB went through each process; what they kept resident is a fraction of it.
    expect(created.peakMiB).toBeGreaterThan(0);
    expect(created.peakMiB).toBeLessThan(256);
    expect(restoredRun.peakMiB).toBeLessThan(256);
    console.log(`peak RSS: dump create ${created.peakMiB.toFixed(0)} MiB, restore ${restoredRun.peakMiB.toFixed(0)} MiB`);
    const [row] = await restored.sql<{ n: string; same: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE email NOT LIKE 'use**********') AS same FROM public.big`,
    );
    expect(Number(row!.n)).toBe(ROWS);
    expect(Number(row!.same)).toBe(0);
  }, 600_000);

  it('a 50% random subset of its million rows: the keys stay in the server, the process under the same 64 MB heap', async () => {
    const half = await createTestDatabase('bighalf');
    // Its own file: workspace.writeConfig would replace the config the other tests use.
    const subsetConfig = join(workspace.dir, 'subset.yaml');
    await writeFile(subsetConfig, `
salt: streaming-test
source:
  connection_uri: ${source.uri}
  database_subset:
    database: public
    table: big
    strategy_name: random
    strategy_options: { percent: 50, seed: 7 }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${half.uri}
`);
    const created = await runMeasured(['-c', subsetConfig, 'dump', 'create', '-n', 'half'], workspace);
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    // The sample's rule (decision 0040) keeps about half of them: exactly the rows whose seeded key hash is under half the range.
    const [sampled] = await source.sql<{ n: string }>(`SELECT count(*) AS n FROM public.big WHERE hashtextextended(id::text, ${sampleSeed('7')}) < ${sampleThreshold(50)}`);
    const kept = Number(sampled!.n);
    expect(Math.abs(kept - ROWS / 2)).toBeLessThan(ROWS / 100);
    expect(created.stderr).toMatch(new RegExp(`public\\.big: ${kept} of ~?\\d+ rows kept \\(start\\)`));
    // Half a million kept keys never reach the process: its peak is bounded like the full dump's.
    expect(created.peakMiB).toBeLessThan(256);
    console.log(`peak RSS: subset dump create ${created.peakMiB.toFixed(0)} MiB`);
    const restoredRun = await runMeasured(['-c', subsetConfig, 'dump', 'restore', 'remote', '-v', 'half'], workspace);
    expect(restoredRun.code).toBe(0);
    const [row] = await half.sql<{ n: string }>('SELECT count(*) AS n FROM public.big');
    expect(Number(row!.n)).toBe(kept);
    await half.drop();
  }, 600_000);

  it('a dump killed half-way is never listed, and its name can be used again', async () => {
    const child = spawn(process.execPath, [HEAP, CLI, '-c', configPath, 'dump', 'create', '-n', 'killed'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let exited = false;
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('exit', () => (exited = true));
    const dumpDir = join(workspace.storeDir, 'killed');
    // Wait (bounded: 3 minutes) until the dump has written its first table chunk, then kill it without warning.
    for (let i = 0; i < 1800 && !exited && !(existsSync(dumpDir) && readdirSync(dumpDir).length >= 2); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(exited, `the dump ended before it could be killed: ${stderr}`).toBe(false);
    expect(existsSync(dumpDir)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    const list = await runCli(['-c', configPath, 'dump', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((d: { name: string }) => d.name)).not.toContain('killed');
    expect(existsSync(join(dumpDir, 'manifest.json'))).toBe(false);
  }, 300_000);
});
