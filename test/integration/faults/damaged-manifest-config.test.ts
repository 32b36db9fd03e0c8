import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * Issue #15, item 8 (configs): `-c` given something that is not a config (a device, a directory, a FIFO,
 * a huge or binary file) is one clear line and exit 1, read within a bound: with a 64 MB heap and a
 * timeout, a reader that loaded /dev/urandom, or waited on a FIFO, would die or hang.
 */
const LOW_MEMORY = { nodeArgs: ['--max-old-space-size=64'], timeoutMs: 60_000 };

describe('config files that are not configs (issue #15, item 8)', () => {
  let workspace: Workspace;

  beforeAll(async () => {
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await workspace?.remove();
  });

  async function refused(path: string, reason: string): Promise<void> {
    const result = await runCli(['-c', path, 'dump', 'list'], LOW_MEMORY);
    expect(result.code, `${path}: ${result.stderr}`).toBe(1);
    expect(result.stderr).toBe(`error: config file ${path}: ${reason}\n`);
    expect(result.stdout).toBe('');
  }

  it('refuses /dev/urandom and /dev/zero (character devices) without reading them', async () => {
    await refused('/dev/urandom', 'not a regular file (a character device)');
    await refused('/dev/zero', 'not a regular file (a character device)');
  });

  it('refuses a directory, and a FIFO no one writes to without waiting on it', async () => {
    const directory = join(workspace.dir, 'conf.d');
    await mkdir(directory);
    await refused(directory, 'not a regular file (a directory)');
    const fifo = join(workspace.dir, 'conf.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await refused(fifo, 'not a regular file (a FIFO)');
  });

  it('refuses a huge file by its size, before reading it', async () => {
    const huge = join(workspace.dir, 'huge.yaml');
    await writeFile(huge, 'datastore:\n');
    await truncate(huge, 1024 * 1024 * 1024);
    await refused(huge, `too large (${1024 * 1024 * 1024} bytes; at most ${4 * 1024 * 1024} are read)`);
  });

  it('refuses binary garbage in one line', async () => {
    const garbage = join(workspace.dir, 'garbage.yaml');
    // Random bytes, made certain to be invalid UTF-8 (0xff never occurs in UTF-8).
    await writeFile(garbage, Buffer.concat([Buffer.from([0xff]), randomBytes(64 * 1024)]));
    await refused(garbage, 'not UTF-8 text (a binary file?)');
    const nul = join(workspace.dir, 'nul.yaml');
    await writeFile(nul, 'datastore:\n  local_disk:\n    dir: /tmp\0\0\0\n');
    await refused(nul, 'not text: it holds NUL bytes (a binary file?)');
  });

  it('config check says the same', async () => {
    const result = await runCli(['-c', '/dev/urandom', 'config', 'check'], LOW_MEMORY);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: config file /dev/urandom: not a regular file (a character device)\n');
  });

  it('still reads an ordinary config', async () => {
    const store = join(workspace.dir, 'store-ok');
    await mkdir(store);
    const path = await workspace.writeConfig(`datastore:\n  local_disk:\n    dir: ${store}\n`);
    const result = await runCli(['-c', path, 'dump', 'list'], LOW_MEMORY);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('<empty> no dumps available\n');
  });
});
