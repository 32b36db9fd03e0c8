import { spawn } from 'node:child_process';
import { readdir, readlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_STALE_MS, claimsPrefix } from '../../../src/dump/name-claim.js';
import { createDump, listDumps, openDatastore, type Datastore } from '../../../src/index.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startS3Server, type TestS3Server } from '../../support/s3-server.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const ROWS = 400_000;
/** The second run fails while the first writes, or (on a slow machine, if the first has just committed) on its manifest. */
const TAKEN =
  /^error: (the dump name same is being written by another dump create \(started \S+ on \S+, pid \d+\) in .*; nothing was written\nhint: wait for it to finish, or choose another --name|a dump named same already exists in .*\nhint: choose another --name or delete it first)\n$/;

async function hasChunk(datastore: Datastore, name: string): Promise<boolean> {
  for await (const key of datastore.list(`${name}/`)) if (key.endsWith('.chunk')) return true;
  return false;
}

/** A claim as another run would have written it, with its heartbeat `ageMs` old. */
function forgedClaim(name: string, options: { ageMs: number; host: string; pid: number; pidNamespace?: string }): { key: string; body: Buffer } {
  const at = new Date(Date.now() - options.ageMs);
  const key = `${claimsPrefix(name)}${at.getTime()}-00000000000000ff.json`;
  const record = { run: 'forged', tool: 'replibyte test', startedAt: at.toISOString(), heartbeatAt: at.toISOString(), ...options };
  return { key, body: Buffer.from(JSON.stringify(record)) };
}

/** The pid of a process that has exited (a `dump create` killed with -9 leaves exactly that). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

describe('two dump create runs under one name', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  let server: TestS3Server;
  const databases: TestDatabase[] = [];

  const sourceYaml = (destination: string) => `source:\n  connection_uri: ${source.uri}\ndestination:\n  connection_uri: ${destination}\n`;

  beforeAll(async () => {
    [source, workspace, server] = await Promise.all([createTestDatabase('claim_src'), createWorkspace(), startS3Server()]);
    // Large enough that two runs started together are still writing when the other starts.
    await source.sql(`CREATE TABLE public.events (id int PRIMARY KEY, body text); INSERT INTO public.events SELECT g, md5(g::text) || repeat('x', 150) FROM generate_series(1, ${ROWS}) g`);
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), server?.remove(), ...databases.map((db) => db.drop())]);
  });

  async function exactlyOneWins(datastoreYaml: string, label: string): Promise<void> {
    const destination = await createTestDatabase(`claim_${label}`);
    databases.push(destination);
    const configPath = join(workspace.dir, `${label}.yaml`);
    await writeFile(configPath, sourceYaml(destination.uri) + datastoreYaml);
    const run = () => runCli(['-c', configPath, 'dump', 'create', '-n', 'same'], { timeoutMs: 240_000 });
    // The second run starts once the first has stored a chunk (bounded wait), so that they overlap
    // however loaded the machine is: two runs that do not overlap never showed the fault.
    const first = run();
    const datastore = await openDatastore(workspace.config(datastoreYaml));
    try {
      for (let i = 0; i < 600 && !(await hasChunk(datastore, 'same')); i += 1) await sleep(50);
    } finally {
      await datastore.close();
    }
    const runs: CliResult[] = await Promise.all([first, run()]);

    const codes = runs.map((run) => run.code).sort();
    expect(codes, runs.map((run) => run.stderr).join('\n---\n')).toEqual([0, 1]);
    const loser = runs.find((run) => run.code === 1)!;
    expect(loser.stderr).toMatch(TAKEN);

    const verified = await runCli(['-c', configPath, 'dump', 'verify', '-v', 'same']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const restored = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'same']);
    expect(restored.code, restored.stderr).toBe(0);
    const [row] = await destination.sql<{ n: string }>('SELECT count(*) AS n FROM public.events');
    expect(Number(row!.n)).toBe(ROWS);
  }

  it('on local disk: exactly one exits 0, the other 1 naming the run that holds the name, and the dump is whole', { timeout: 400_000 }, async () => {
    await exactlyOneWins(`datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`, 'disk');
    // The claim is gone with the commit: only the dump is left.
    expect((await readdir(join(workspace.storeDir, 'same', 'claims')).catch(() => [])).length).toBe(0);
  });

  it('on S3 (s3rver): exactly one exits 0, and the dump is whole', { timeout: 400_000 }, async () => {
    await exactlyOneWins(server.datastoreYaml({ prefix: 'claims' }), 's3');
  });

  describe('a claim left by a run that died', () => {
    let datastore: Datastore;
    const config = () => workspace.config(`${sourceYaml(source.uri)}datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);

    beforeAll(async () => {
      datastore = await openDatastore(config());
    });
    afterAll(async () => {
      await datastore?.close();
    });

    it('does not block the name when its process is gone from this host', async () => {
      const pidNamespace = await readlink('/proc/self/ns/pid').catch(() => undefined);
      const dead = forgedClaim('after-kill', { ageMs: 1_000, host: hostname(), pid: await deadPid(), ...(pidNamespace && { pidNamespace }) });
      await datastore.putAtomic(dead.key, dead.body);
      await datastore.putAtomic('after-kill/000001.chunk', Buffer.from('left by the dead run'));
      const manifest = await createDump(config(), { name: 'after-kill' });
      expect(manifest.name).toBe('after-kill');
      const keys: string[] = [];
      for await (const key of datastore.list('after-kill/')) keys.push(key);
      // The dead run's claim and chunk were cleared; the new run's claim was released at commit.
      expect(keys.filter((key) => key.includes('/claims/'))).toEqual([]);
      expect(await datastore.getSmall('after-kill/000001.chunk', 64 * 1024 * 1024)).not.toEqual(Buffer.from('left by the dead run'));
    });

    it('does not block the name once its heartbeat is older than the stale limit, and blocks it before', async () => {
      const fresh = forgedClaim('elsewhere', { ageMs: 5_000, host: 'another-host', pid: 1 });
      await datastore.putAtomic(fresh.key, fresh.body);
      await expect(createDump(config(), { name: 'elsewhere' })).rejects.toThrow(/the dump name elsewhere is being written by another dump create \(started .* on another-host, pid 1\)/);
      expect((await listDumps(datastore)).map((dump) => dump.name)).not.toContain('elsewhere');
      // The refused run deleted nothing: the rival's claim is still there.
      expect(await datastore.getSmall(fresh.key)).toEqual(fresh.body);

      await datastore.delete(fresh.key);
      const stale = forgedClaim('elsewhere', { ageMs: CLAIM_STALE_MS + 60_000, host: 'another-host', pid: 1 });
      await datastore.putAtomic(stale.key, stale.body);
      // The object's own modification time counts too: make the file as old as its heartbeat.
      const old = new Date(Date.now() - CLAIM_STALE_MS - 60_000);
      await utimes(join(workspace.storeDir, ...stale.key.split('/')), old, old);
      expect((await createDump(config(), { name: 'elsewhere' })).name).toBe('elsewhere');
    });
  });
});

