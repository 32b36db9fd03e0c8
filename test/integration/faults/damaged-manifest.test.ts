import { spawnSync } from 'node:child_process';
import { mkdir, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, listDumps, openDatastore, planDumpDeletion, surveyDumps } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * Issue #15, item 8: one malformed or huge manifest.json (or metadata.json) must not break `dump list`,
 * `restore latest` or `delete --keep-last` for every other dump, nor make a reader load it whole. The CLI
 * runs here get a 64 MB heap and a timeout: a reader that loaded a 1 GiB manifest would die or hang.
 */
const LOW_MEMORY = { nodeArgs: ['--max-old-space-size=64'], timeoutMs: 90_000 };
const GiB = 1024 * 1024 * 1024;
const GOOD = ['new-3', 'old-2', 'old-1'];

interface ListedEntry {
  name: string;
  damaged?: string;
  createdAt?: string;
}

async function plant(storeDir: string, name: string, content: string | Buffer): Promise<void> {
  await mkdir(join(storeDir, name), { recursive: true });
  await writeFile(join(storeDir, name, 'manifest.json'), content);
}

describe('a damaged manifest on local disk (issue #15, item 8)', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  let configPath: string;
  let goodManifest: string;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('src'), createWorkspace()]);
    await source.sql('CREATE TABLE public.items (id integer PRIMARY KEY, label text); INSERT INTO public.items SELECT g, md5(g::text) FROM generate_series(1, 50) g;');
    const yaml = `source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`;
    configPath = await workspace.writeConfig(yaml);
    for (const name of [...GOOD].reverse()) await createDump(workspace.config(yaml), { name });
    goodManifest = join(workspace.storeDir, 'new-3', 'manifest.json');
    await plant(workspace.storeDir, 'broken-json', '{"format": "replibyte-dump", "version": 1, "na');
    await plant(workspace.storeDir, 'malformed', JSON.stringify({ format: 'replibyte-dump', version: 1, name: 'malformed' }));
    await plant(workspace.storeDir, 'huge', '');
    // 1 GiB, sparse: costs no disk, and a reader that loads it whole cannot survive a 64 MB heap.
    await truncate(join(workspace.storeDir, 'huge', 'manifest.json'), GiB);
    // A manifest copied under another name (its chunks are bound to its own name).
    const { readFile } = await import('node:fs/promises');
    await plant(workspace.storeDir, 'copied', await readFile(goodManifest));
    // manifest.json as a directory, and as a FIFO that no one writes to (a plain read would hang).
    await mkdir(join(workspace.storeDir, 'dir-manifest', 'manifest.json'), { recursive: true });
    await mkdir(join(workspace.storeDir, 'fifo-manifest'));
    expect(spawnSync('mkfifo', [join(workspace.storeDir, 'fifo-manifest', 'manifest.json')]).status).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  const damagedNames = ['broken-json', 'copied', 'dir-manifest', 'fifo-manifest', 'huge', 'malformed'];

  it('dump list shows the good dumps and each damaged one with its reason (text)', async () => {
    const listed = await runCli(['-c', configPath, 'dump', 'list'], LOW_MEMORY);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    for (const name of GOOD) expect(listed.stdout).toMatch(new RegExp(`^${name}\\s+\\|`, 'm'));
    const [, damagedBlock] = listed.stdout.split(/^damaged \(cannot be read or restored; `dump delete NAME` removes one\):$/m);
    expect(damagedBlock).toBeDefined();
    const reasons = Object.fromEntries(damagedBlock!.trim().split('\n').map((line) => line.trim().split(/: (.*)/s).slice(0, 2)));
    expect(Object.keys(reasons).sort()).toEqual(damagedNames);
    expect(reasons['broken-json']).toBe('manifest is not valid JSON');
    expect(reasons.malformed).toMatch(/^manifest is malformed at /);
    expect(reasons.huge).toBe(`too large (${GiB} bytes; at most ${16 * 1024 * 1024} are read)`);
    expect(reasons.copied).toBe('its manifest names another dump (new-3): it was moved or replaced');
    expect(reasons['dir-manifest']).toBe('not a regular file (a directory)');
    expect(reasons['fifo-manifest']).toBe('not a regular file (a FIFO)');
  });

  it('dump list --json: the good dumps newest first, then the damaged ones with their reason', async () => {
    const listed = await runCli(['-c', configPath, 'dump', 'list', '--json'], LOW_MEMORY);
    expect(listed.code, listed.stderr).toBe(0);
    const entries = JSON.parse(listed.stdout) as ListedEntry[];
    expect(entries.filter((entry) => !entry.damaged).map((entry) => entry.name)).toEqual(GOOD);
    expect(entries.slice(0, 3).every((entry) => entry.createdAt && !entry.damaged)).toBe(true);
    expect(entries.slice(3).map((entry) => entry.name)).toEqual(damagedNames);
    for (const entry of entries.slice(3)) expect(entry.damaged, entry.name).toMatch(/\w/);
  });

  it('restore latest and verify latest take the newest good dump; naming a damaged one is one clear error', async () => {
    const script = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'latest', '-o'], LOW_MEMORY);
    expect(script.stderr).toBe('');
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('CREATE TABLE public.items');
    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'latest', '--json'], LOW_MEMORY);
    expect(verified.code, verified.stderr).toBe(0);
    expect((JSON.parse(verified.stdout) as { name: string }).name).toBe('new-3');
    for (const [name, reason] of [
      ['huge', /huge\/manifest\.json: too large \(1073741824 bytes/],
      ['fifo-manifest', /fifo-manifest\/manifest\.json: not a regular file \(a FIFO\)/],
      ['copied', /copied\/manifest\.json: its manifest names another dump \(new-3\)/],
    ] as const) {
      const refused = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', name, '-o'], LOW_MEMORY);
      expect(refused.code, name).toBe(1);
      expect(refused.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(refused.stderr, name).toMatch(reason);
      expect(refused.stdout).toBe('');
    }
  });

  it('delete --older-than and --keep-last neither count nor delete a damaged dump, and say so; deleting one takes its name', async () => {
    const none = await runCli(['-c', configPath, 'dump', 'delete', '--older-than', '1000d'], LOW_MEMORY);
    expect(none.code, none.stderr).toBe(0);
    for (const name of damagedNames) expect(none.stderr).toMatch(new RegExp(`^skipped damaged dump ${name} \\(.+\\): neither counted nor deleted; \`dump delete ${name}\` removes it$`, 'm'));
    expect(none.stderr).toMatch(/^no dump matched; nothing deleted$/m);

    const kept = await runCli(['-c', configPath, 'dump', 'delete', '--keep-last', '1'], LOW_MEMORY);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr.split('\n').filter((line) => line.startsWith('deleted '))).toEqual(['deleted old-2', 'deleted old-1']);
    expect((await readdir(workspace.storeDir)).sort()).toEqual([...damagedNames, 'new-3'].sort());

    const datastore = await openDatastore(workspace.config(`datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`));
    try {
      const plan = await planDumpDeletion(datastore, { keepLast: 0 });
      expect(plan.names).toEqual(['new-3']);
      expect(plan.skipped.map((dump) => dump.name)).toEqual(damagedNames);
    } finally {
      await datastore.close();
    }

    for (const name of ['huge', 'broken-json', 'fifo-manifest']) {
      const byName = await runCli(['-c', configPath, 'dump', 'delete', name], LOW_MEMORY);
      expect(byName.code, byName.stderr).toBe(0);
      expect(byName.stderr).toBe(`deleted ${name}\n`);
    }
    expect((await readdir(workspace.storeDir)).sort()).toEqual(['copied', 'dir-manifest', 'malformed', 'new-3']);
  });

  it('a damaged or huge metadata.json (the original Replibyte index) is listed as damaged; the other dumps stay listed', async () => {
    const index = join(workspace.storeDir, 'metadata.json');
    for (const make of [() => writeFile(index, '{"v": "0.10.0", "dumps": [{"directory_name": '), () => truncate(index, GiB)]) {
      await make();
      const listed = await runCli(['-c', configPath, 'dump', 'list', '--json'], LOW_MEMORY);
      expect(listed.code, listed.stderr).toBe(0);
      const entries = JSON.parse(listed.stdout) as ListedEntry[];
      expect(entries.filter((entry) => !entry.damaged).map((entry) => entry.name)).toEqual(['new-3']);
      expect(entries.find((entry) => entry.name === 'metadata.json')?.damaged).toMatch(/^the original Replibyte's index: (not valid JSON|too large \(1073741824 bytes;.*\)); the dumps it lists are not shown$/);
      const latest = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'latest'], LOW_MEMORY);
      expect(latest.code, latest.stderr).toBe(0);
      const refused = await runCli(['-c', configPath, 'dump', 'delete', 'metadata.json'], LOW_MEMORY);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: metadata\.json is the original Replibyte's index, not a dump$/m);
      // A dump can still be deleted: the unreadable index is left as it is.
      const deleted = await runCli(['-c', configPath, 'dump', 'delete', 'malformed'], LOW_MEMORY);
      expect(deleted.code, deleted.stderr).toBe(0);
      await plant(workspace.storeDir, 'malformed', '[]');
    }
  });
});

describe('a damaged or huge manifest in S3 (issue #15, item 8)', () => {
  let server: TestS3Server;
  let source: TestDatabase;
  let workspace: Workspace;
  let configPath: string;
  let yaml: string;

  beforeAll(async () => {
    [server, source, workspace] = await Promise.all([startS3Server(), createTestDatabase('src'), createWorkspace()]);
    await source.sql('CREATE TABLE public.items (id integer PRIMARY KEY, label text); INSERT INTO public.items SELECT g, md5(g::text) FROM generate_series(1, 50) g;');
    yaml = `source:\n  connection_uri: ${source.uri}\n${server.datastoreYaml({ prefix: 'damaged' })}`;
    configPath = await workspace.writeConfig(yaml);
    for (const name of ['old-1', 'new-2']) await createDump(workspace.config(yaml), { name });
    const datastore = await openDatastore(workspace.config(yaml));
    try {
      // 24 MiB of JSON-looking bytes: more than the 16 MiB limit, announced by ContentLength.
      await datastore.putAtomic('huge/manifest.json', Buffer.concat([Buffer.from('{"pad": "'), Buffer.alloc(24 * 1024 * 1024, 'a'), Buffer.from('"}')]));
      await datastore.putAtomic('garbage/manifest.json', Buffer.from([0xff, 0x00, 0x13, 0x37]));
    } finally {
      await datastore.close();
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all([server?.remove(), source?.drop(), workspace?.remove()]);
  });

  it('lists the good dumps, and the damaged ones with their reason, refusing the huge one by its size', { timeout: 240_000 }, async () => {
    const datastore = await openDatastore(workspace.config(yaml));
    try {
      const survey = await surveyDumps(datastore);
      expect(survey.dumps.map((dump) => dump.name)).toEqual(['new-2', 'old-1']);
      expect(survey.damaged).toEqual([
        { name: 'garbage', reason: 'manifest is not valid JSON' },
        { name: 'huge', reason: `too large (${24 * 1024 * 1024 + 11} bytes; at most ${16 * 1024 * 1024} are read)` },
      ]);
      expect((await listDumps(datastore)).map((dump) => dump.name)).toEqual(['new-2', 'old-1']);
      await expect(datastore.getSmall('huge/manifest.json', 1024)).rejects.toThrow(/huge\/manifest\.json: too large \(\d+ bytes; at most 1024 are read\)$/);
    } finally {
      await datastore.close();
    }
    const listed = await runCli(['-c', configPath, 'dump', 'list', '--json'], LOW_MEMORY);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as ListedEntry[]).map((entry) => [entry.name, Boolean(entry.damaged)])).toEqual([
      ['new-2', false],
      ['old-1', false],
      ['garbage', true],
      ['huge', true],
    ]);
    const latest = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'latest', '-o'], LOW_MEMORY);
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toContain('CREATE TABLE public.items');
    const kept = await runCli(['-c', configPath, 'dump', 'delete', '--keep-last', '1'], LOW_MEMORY);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr.split('\n').filter((line) => line.startsWith('deleted '))).toEqual(['deleted old-1']);
    expect(kept.stderr).toMatch(/^skipped damaged dump huge \(too large/m);
  });
});
