import { createServer, type Server } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

/**
 * #19 item 4: a local restore on a busy port must not leave a data directory nothing can use or stop,
 * and `local stop --force` removes one left by an older version. Servers live under a temporary
 * REPLIBYTE_LOCAL_DIR; no server ever starts here except in the --force case (stopped in afterAll).
 */
let root: string;
let env: NodeJS.ProcessEnv;
let config: string;
let busy: Server;
let busyPort: number;
const TIMEOUT = 180_000;
const SCRIPT = 'CREATE TABLE public.t (id integer);\nCOPY public.t (id) FROM stdin;\n1\n2\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-busy-port-'));
  await chmod(root, 0o755); // as root, the server runs as `postgres`, which must enter it
  env = { REPLIBYTE_LOCAL_DIR: join(root, 'servers') };
  await mkdir(join(root, 'store'));
  config = join(root, 'conf.yaml');
  await writeFile(config, `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
  const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'small'], { input: SCRIPT });
  expect(created.code, created.stderr).toBe(0);
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
}, TIMEOUT);

afterAll(async () => {
  busy?.close();
  await runCli(['local', 'stop', '--force', 'broken'], { env, timeoutMs: 60_000 });
  await rm(root, { recursive: true, force: true });
}, TIMEOUT);

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('local server on a busy port', () => {
  it('a failed start says the port is in use and leaves no data directory; the next restore works', async () => {
    const failed = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'small', '-p', String(busyPort), '--detach'], { env, timeoutMs: 120_000 });
    expect(failed.stderr).toContain(`port ${busyPort} on 127.0.0.1 is in use`);
    expect(failed.code).toBe(1);
    expect(await exists(join(root, 'servers', 'default'))).toBe(false);
    expect(await readdir(join(root, 'servers')).catch(() => [])).toEqual([]);

    const retried = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'small', '--detach'], { env, timeoutMs: 120_000 });
    expect(retried.code).toBe(0);
    const stopped = await runCli(['local', 'stop'], { env, timeoutMs: 60_000 });
    expect(stopped.stderr).toMatch(/stopped the local PostgreSQL default/);
    expect(stopped.code).toBe(0);
    expect(await exists(join(root, 'servers', 'default'))).toBe(false);
  }, TIMEOUT);

  it('local stop --force NAME removes a data directory left without its state (dead server)', async () => {
    // What older versions left behind: a cluster replibyte made, its state.json gone, no server running.
    const started = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'small', '--name', 'broken', '--detach'], { env, timeoutMs: 120_000 });
    expect(started.code).toBe(0);
    const dataDir = join(root, 'servers', 'broken');
    await runCli(['local', 'stop', '--keep', 'broken'], { env, timeoutMs: 60_000 });
    await rm(join(dataDir, 'state.json'));

    const plain = await runCli(['local', 'stop', 'broken'], { env });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/no state\.json/);
    expect(plain.stderr).toMatch(/--force/);
    const restore = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'small', '--name', 'broken', '--detach'], { env, timeoutMs: 120_000 });
    expect(restore.code).toBe(1);
    expect(await exists(join(dataDir, 'pgdata'))).toBe(true);

    const forced = await runCli(['local', 'stop', '--force', 'broken'], { env, timeoutMs: 60_000 });
    expect(forced.stderr).toMatch(/removed the broken local PostgreSQL data directory/);
    expect(forced.code).toBe(0);
    expect(await exists(dataDir)).toBe(false);
    const again = await runCli(['-c', config, 'dump', 'restore', 'local', '-v', 'small', '--name', 'broken', '--detach'], { env, timeoutMs: 120_000 });
    expect(again.code).toBe(0);
    expect((await runCli(['local', 'stop', 'broken'], { env, timeoutMs: 60_000 })).code).toBe(0);
  }, TIMEOUT);

  it('local stop --force does not touch a directory replibyte did not make', async () => {
    const foreign = join(root, 'servers', 'foreign');
    await mkdir(join(foreign, 'pgdata'), { recursive: true });
    await writeFile(join(foreign, 'pgdata', 'postgresql.conf'), "listen_addresses = '*'\n");
    const forced = await runCli(['local', 'stop', '--force', 'foreign'], { env });
    expect(forced.code).toBe(1);
    expect(await exists(join(foreign, 'pgdata', 'postgresql.conf'))).toBe(true);
    await rm(foreign, { recursive: true });
  });
});
