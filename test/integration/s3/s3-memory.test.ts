import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDumps, openDatastore } from '../../../src/index.js';
import { DEFAULT_PART_SIZE } from '../../../src/datastores/s3/s3-datastore.js';
import { createBigTable } from '../../support/big-table.js';
import { CLI } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const MiB = 1024 * 1024;

interface Measured {
  code: number | null;
  stderr: string;
  peakRssMiB: number;
}

/** Runs the CLI under GNU time and reads its peak resident set size. Output goes nowhere. */
function runMeasured(args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', process.execPath, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (!match) return reject(new Error(`no RSS in: ${stderr}`));
      resolve({ code, stderr, peakRssMiB: Number(match[1]) / 1024 });
    });
  });
}

describe('memory stays flat with dumps several times larger than a multipart part', () => {
  let server: TestS3Server;
  let source: TestDatabase;
  let destination: TestDatabase;
  let workspace: Workspace;
  let configPath: string;

  beforeAll(async () => {
    [server, source, destination, workspace] = await Promise.all([
      startS3Server(),
      createTestDatabase('s3mem'),
      createTestDatabase('s3memdst'),
      createWorkspace(),
    ]);
    await createBigTable(source, 70);
    configPath = await workspace.writeConfig(`
source:
  connection_uri: ${source.uri}
  compression: false
destination:
  connection_uri: ${destination.uri}
${server.datastoreYaml({ prefix: 'mem' })}`);
  });

  afterAll(async () => {
    await Promise.all([server?.remove(), source?.drop(), destination?.drop(), workspace?.remove()]);
  });

  it('uploads a 64 MiB chunk in 8 MiB parts and restores it, each CLI run within a bounded peak RSS', { timeout: 600_000 }, async () => {
    const baseline = await runMeasured(['-c', configPath, 'dump', 'list']);
    expect(baseline.code).toBe(0);

    const created = await runMeasured(['-c', configPath, 'dump', 'create', '-n', 'big']);
    expect(created.code, created.stderr).toBe(0);
    const config = workspace.config(`
source:
  connection_uri: ${source.uri}
${server.datastoreYaml({ prefix: 'mem' })}`);
    const datastore = await openDatastore(config);
    const [dump] = await listDumps(datastore);
    await datastore.close();
    expect(dump?.name).toBe('big');
    // Uncompressed: the largest object is a full 64 MiB chunk, eight parts.
    expect(dump!.storedBytes).toBeGreaterThan(8 * DEFAULT_PART_SIZE);
    expect(await server.incompleteUploads()).toEqual([]);

    const restored = await runMeasured(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'big']);
    expect(restored.code, restored.stderr).toBe(0);
    const [{ n }] = (await destination.sql<{ n: string }>('SELECT count(*) AS n FROM big')) as [{ n: string }];
    expect(Number(n)).toBe(350_000);

    const report = `peak RSS: dump list ${baseline.peakRssMiB.toFixed(0)} MiB, dump create ${created.peakRssMiB.toFixed(0)} MiB, restore ${restored.peakRssMiB.toFixed(0)} MiB; stored ${(dump!.storedBytes / MiB).toFixed(0)} MiB`;
    console.log(report);
    // Measured on the 2-core machine: list 155, create 227, restore 185 MiB peak. The create's +72 MiB is
    // the parts in flight (queueSize 3 + the one being filled, 8 MiB each) plus the stream buffers and
    // COPY's, but it is not yet told apart from the 64 MiB chunk: this bound only catches regressions
    // (holding a chunk twice would add 64 MiB more). A test with two dump sizes should replace it. The
    // baseline fell to ~113 MiB once the CLI stopped loading faker for `dump list`, widening the gap.
    expect(created.peakRssMiB - baseline.peakRssMiB, report).toBeLessThan(128);
    // The restore streams ~150 MB of rows through; holding them (or the dump) would add far more than this.
    expect(restored.peakRssMiB - baseline.peakRssMiB, report).toBeLessThan(96);
  });
});
