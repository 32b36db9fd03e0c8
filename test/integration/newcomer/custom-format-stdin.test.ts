import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

/** #19 item 6: `pg_dump -Fc | replibyte dump create -s postgresql -i` is refused by its PGDMP header. */
let root: string;
let source: TestDatabase;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replibyte-custom-format-'));
  await mkdir(join(root, 'store'));
  await writeFile(join(root, 'conf.yaml'), `datastore:\n  local_disk:\n    dir: ${join(root, 'store')}\n`);
  source = await createTestDatabase('custom_fmt');
  await source.sql('CREATE TABLE t (id int); INSERT INTO t VALUES (1)');
});

afterAll(async () => {
  await source?.drop();
  await rm(root, { recursive: true, force: true });
});

describe('a custom-format archive on stdin', () => {
  it('is refused with a hint to use -Fp, and nothing is stored', async () => {
    const archive = spawnSync('pg_dump', ['-Fc', `--dbname=${source.uri}`]);
    expect(archive.status).toBe(0);
    const result = await runCli(['-c', join(root, 'conf.yaml'), 'dump', 'create', '-s', 'postgresql', '-i', '-n', 'fc'], { input: archive.stdout });
    expect(result.stderr).toMatch(/custom-format archive/);
    expect(result.stderr).toMatch(/use pg_dump's plain format \(-Fp\)/);
    expect(result.code).toBe(1);
    expect(await readdir(join(root, 'store'))).toEqual([]);
  }, 120_000);
});
