import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDumps, openDatastore } from '../../../src/index.js';
import { DEFAULT_PART_SIZE } from '../../../src/datastores/s3/s3-datastore.js';
import { createBigTable } from '../../support/big-table.js';
import { CLI } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const MiB = 1024 * 1024;
const GNU_TIME = '/usr/bin/time';
const MAX_RSS_HOOK = fileURLToPath(new URL('../../support/max-rss.mjs', import.meta.url));

interface Measured {
  code: number | null;
  stderr: string;
  peakRssMiB: number;
}

/**
 * Runs the CLI and reads its peak resident set size: from GNU time where there is one, else from the
 * process itself (test/support/max-rss.mjs prints `process.resourceUsage().maxRSS` on exit). Output goes nowhere.
 */
function runMeasured(args: string[]): Promise<Measured> {
  const gnuTime = existsSync(GNU_TIME);
  const [command, commandArgs] = gnuTime
    ? [GNU_TIME, ['-f', 'max-rss-kb=%M', process.execPath, CLI, ...args]]
    : [process.execPath, ['--import', MAX_RSS_HOOK, CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const match = /max-rss-kb=(\d+)\s*$/.exec(stderr);
      if (!match) return reject(new Error(`no peak RSS in: ${stderr}`));
      resolve({ code, stderr, peakRssMiB: Number(match[1]) / 1024 });
    });
  });
}

interface Size {
  label: string;
  megabytes: number;
  source: TestDatabase;
  destination: TestDatabase;
  rows: number;
}

describe('memory stays flat with dumps several times larger than a multipart part', () => {
  let server: TestS3Server;
  let workspace: Workspace;
  // About 8 and 30 parts of 8 MiB (67 MiB: one full 64 MiB chunk and a short one; 240 MiB: four chunks):
  // memory must not follow the size.
  const sizes: Size[] = [
    { label: 'small', megabytes: 70 } as Size,
    { label: 'large', megabytes: 250 } as Size,
  ];

  const yamlFor = (size: Size) => `
source:
  connection_uri: ${size.source.uri}
  compression: false
destination:
  connection_uri: ${size.destination.uri}
${server.datastoreYaml({ prefix: 'mem' })}`;

  beforeAll(async () => {
    [server, workspace] = await Promise.all([startS3Server(), createWorkspace()]);
    for (const size of sizes) {
      [size.source, size.destination] = await Promise.all([createTestDatabase(`s3mem${size.label}`), createTestDatabase(`s3memdst${size.label}`)]);
      size.rows = await createBigTable(size.source, size.megabytes);
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all([server?.remove(), workspace?.remove(), ...sizes.flatMap((size) => [size.source?.drop(), size.destination?.drop()])]);
  });

  it('uploads and restores 70 MB and 250 MB in 8 MiB parts with the same peak RSS', { timeout: 600_000 }, async () => {
    const [small, large] = sizes as [Size, Size];
    const baseline = await runMeasured(['-c', await workspace.writeConfig(yamlFor(small)), 'dump', 'list']);
    expect(baseline.code, baseline.stderr).toBe(0);

    const created = new Map<Size, Measured>();
    for (const size of sizes) {
      const run = await runMeasured(['-c', await workspace.writeConfig(yamlFor(size)), 'dump', 'create', '-n', size.label]);
      expect(run.code, run.stderr).toBe(0);
      created.set(size, run);
    }
    const datastore = await openDatastore(workspace.config(yamlFor(small)));
    const dumps = new Map((await listDumps(datastore)).map((dump) => [dump.name, dump]));
    await datastore.close();
    // Uncompressed, so the stored bytes are the COPY text: both several times the part size.
    expect(dumps.get('small')!.storedBytes).toBeGreaterThan(4 * DEFAULT_PART_SIZE);
    expect(dumps.get('large')!.storedBytes).toBeGreaterThan(3.5 * dumps.get('small')!.storedBytes);
    expect(await server.incompleteUploads()).toEqual([]);

    const restored = new Map<Size, Measured>();
    for (const size of sizes) {
      const run = await runMeasured(['-c', await workspace.writeConfig(yamlFor(size)), 'dump', 'restore', 'remote', '-v', size.label]);
      expect(run.code, run.stderr).toBe(0);
      restored.set(size, run);
      const [{ n }] = (await size.destination.sql<{ n: string }>('SELECT count(*) AS n FROM big')) as [{ n: string }];
      expect(Number(n)).toBe(size.rows);
    }

    const mib = (value: number) => `${value.toFixed(0)} MiB`;
    const report =
      `peak RSS: dump list ${mib(baseline.peakRssMiB)}; ` +
      sizes
        .map((size) => `${size.label} (${(dumps.get(size.label)!.storedBytes / MiB).toFixed(0)} MiB stored): create ${mib(created.get(size)!.peakRssMiB)}, restore ${mib(restored.get(size)!.peakRssMiB)}`)
        .join('; ');
    console.log(report);

    // Flat: 3.6 times the data may not cost more than MARGIN over the smaller dump's peak. Measured on the
    // loaded 2-core machine (3 runs at these sizes): create 218-222 MiB small, 226-245 large (+7, +8,
    // +23); restore 160-164 small, 162-168 large (-2 to +7). A 300 MB dump measured 231 MiB: the peak
    // stops rising once a full 64 MiB chunk has gone through (with 40 MB, a single short chunk, it was
    // 10-35 MiB lower, which is why the smaller size is above one chunk). The run-to-run spread (~20 MiB,
    // the GC's timing against 8 MiB part buffers) sets the margin; anything that grows with the dump
    // would add ~170 MiB between these sizes, a 64 MiB chunk held once 64 MiB, both above it.
    const MARGIN_MIB = 32;
    expect(created.get(large)!.peakRssMiB, report).toBeLessThan(created.get(small)!.peakRssMiB + MARGIN_MIB);
    expect(restored.get(large)!.peakRssMiB, report).toBeLessThan(restored.get(small)!.peakRssMiB + MARGIN_MIB);
    // Absolute bounds over a CLI run that loads the same modules and holds no data (`dump list`, ~113
    // MiB): the create holds the parts in flight (queueSize 3 + the one being filled, 8 MiB each, and
    // lib-storage's copy of a part as it is assembled), the stream buffers (1 MiB each) and COPY's;
    // measured +105 to +132 MiB. The restore holds one object's stream and the rows in flight: +47 to +55.
    expect(created.get(large)!.peakRssMiB - baseline.peakRssMiB, report).toBeLessThan(160);
    expect(restored.get(large)!.peakRssMiB - baseline.peakRssMiB, report).toBeLessThan(96);
  });
});
