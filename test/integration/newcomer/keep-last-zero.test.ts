import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

/** #19 item 6: `dump delete --keep-last 0` deletes every dump, so it asks for --yes. No server involved. */
let root: string;
let config: string;
const SCRIPT = 'CREATE TABLE public.t (id integer);\nCOPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-keep-last-'));
  await mkdir(join(root, 'store'));
  config = join(root, 'conf.yaml');
  await writeFile(config, `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
  for (const name of ['one', 'two']) {
    const created = await runCli(['-c', config, 'dump', 'create', '-s', 'postgresql', '-i', '-n', name], { input: SCRIPT });
    expect(created.code, created.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const names = async () => ((JSON.parse((await runCli(['-c', config, 'dump', 'list', '--json'])).stdout) as Array<{ name: string }>).map((d) => d.name).sort());

describe('dump delete --keep-last 0', () => {
  it('refuses without --yes and deletes nothing; --dry-run and --yes work', async () => {
    const refused = await runCli(['-c', config, 'dump', 'delete', '--keep-last', '0']);
    expect(refused.stderr).toMatch(/--keep-last 0 deletes every dump: add --yes/);
    expect(refused.code).toBe(1);
    expect(await names()).toEqual(['one', 'two']);
    expect((await runCli(['-c', config, 'dump', 'delete', '--keep-last', '0', '--dry-run'])).code).toBe(0);
    expect(await names()).toEqual(['one', 'two']);
    const confirmed = await runCli(['-c', config, 'dump', 'delete', '--keep-last', '0', '--yes']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(await names()).toEqual([]);
  }, 120_000);
});
