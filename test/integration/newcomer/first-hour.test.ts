import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../support/cli.js';
import { VERSION } from '../../../src/version.js';

/** #19 item 6, first-hour polish that needs no database server. */
let root: string;
let config: string;
const SCRIPT = 'CREATE TABLE public.t (id integer);\nCOPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-first-hour-'));
  await mkdir(join(root, 'store'));
  config = join(root, 'conf.yaml');
  await writeFile(config, `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the first hour', () => {
  it('README: says the package is not on the registry and how to put replibyte on PATH from a clone, after the two commands', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const twoCommands = readme.indexOf('## Two commands');
    const onPath = readme.indexOf('`replibyte` on your PATH');
    expect(twoCommands).toBeGreaterThan(-1);
    expect(readme.slice(twoCommands).match(/```sh\n(.*)\n/)?.[1]).toMatch(/^npm install && npx replibyte demo/);
    expect(onPath).toBeGreaterThan(twoCommands);
    const section = readme.slice(onPath, readme.indexOf('## First ten minutes'));
    expect(section).toMatch(/not on the npm registry/);
    expect(section).toMatch(/npm link/);
    expect(section).toMatch(/npm install -g \./);
  });

  it('the bin that npm link puts on PATH runs from any folder', async () => {
    // What `npm link` / `npm install -g .` make: <prefix>/bin/replibyte, a symlink to the clone's bin.
    const bin = join(root, 'prefix', 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(CLI, join(bin, 'replibyte'));
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync('replibyte', ['--version'], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it('-c, -q and --json are accepted after the command too', async () => {
    const created = await runCli(['dump', 'create', '-s', 'postgresql', '-i', '-n', 'one', '-c', config, '-q'], { input: SCRIPT });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toBe(''); // -q after the command silences it as before it
    const listed = await runCli(['dump', 'list', '-c', config, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((d) => d.name)).toEqual(['one']);
    const between = await runCli(['dump', '-c', config, 'list']);
    expect(between.code, between.stderr).toBe(0);
    expect(between.stdout).toMatch(/^one +\|/m);
    const before = await runCli(['--json', '-c', config, 'dump', 'list']);
    expect(JSON.parse(before.stdout)).toHaveLength(1);
    // A command without JSON output says so (before it runs: nothing is stopped here).
    const without = await runCli(['local', 'stop', 'no-such-server', '--json']);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/^error: `replibyte local stop` has no JSON output/m);
  });

  it('says it reads the script on stdin without the doubled "script the script"', async () => {
    const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'two'], { input: SCRIPT });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/^reading the script on stdin as a PostgreSQL dump$/m);
    expect(created.stderr).not.toMatch(/script the script/);
  });

  it('config check and every command name a YAML syntax error by file:LINE:COLUMN', async () => {
    const broken = join(root, 'broken.yaml');
    await writeFile(broken, `datastore:\n  local_disk:\n    dir: [ ${root}\n`);
    const checked = await runCli(['-c', broken, 'config', 'check']);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}:\\d+:\\d+: invalid YAML: `, 'm'));
    const listed = await runCli(['-c', broken, 'dump', 'list']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(/^error: .*broken\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('restore local --help shows the real default data directory for this user', async () => {
    const base = userInfo().uid === 0 ? '/var/tmp/replibyte/local' : join(homedir(), '.replibyte', 'local');
    // An undefined variable is left out of the child's environment.
    const help = await runCli(['dump', 'restore', 'local', '--help'], { env: { REPLIBYTE_LOCAL_DIR: undefined } });
    const unwrapped = (text: string) => text.replace(/\s+/g, ' ');
    expect(unwrapped(help.stdout)).toContain(`--data-dir <dir> where the server keeps its data (default ${base}/<name>;`);
    const moved = await runCli(['dump', 'restore', 'local', '--help'], { env: { REPLIBYTE_LOCAL_DIR: join(root, 'servers') } });
    expect(unwrapped(moved.stdout)).toContain(`(default ${join(root, 'servers')}/<name>;`);
  });
});
