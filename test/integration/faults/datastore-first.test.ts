import { spawn } from 'node:child_process';
import { chmod, readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, type CliResult } from '../../support/cli.js';
import { createTestDatabase, databaseUri, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** `nobody`: root writes anywhere, so an unwritable directory needs another user when the tests run as root. */
const NOBODY = 65534;

function runAs(uid: number | undefined, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(uid !== undefined && { uid, gid: uid }) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `dump create` checks what it can before it opens the source: the name, and that the datastore can be
 * written (its claim on the name is its first write). The source below does not exist, so an error
 * about it would mean the source was opened first.
 */
describe('dump create checks the name and the datastore before the source', () => {
  let workspace: Workspace;
  let source: TestDatabase;
  let configPath: string;

  beforeAll(async () => {
    [workspace, source] = await Promise.all([createWorkspace(), createTestDatabase('first')]);
    await source.sql('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
    const good = await runCli(['-c', await workspace.writeConfig(`source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`), 'dump', 'create', '-n', 'good']);
    expect(good.code, good.stderr).toBe(0);
    configPath = await workspace.writeConfig(`source:\n  connection_uri: ${databaseUri('rbt_no_such_database_anywhere')}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`);
  });
  afterAll(async () => {
    await chmod(workspace.storeDir, 0o755).catch(() => undefined);
    await Promise.all([workspace?.remove(), source?.drop()]);
  });

  it('an invalid name', async () => {
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', '../escape']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid dump name '\.\.\/escape'/);
  });

  it('a name that already holds a dump', async () => {
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', 'good']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: a dump named good already exists in local disk /);
  });

  it('a datastore directory that cannot be written, named by its config key', async () => {
    const asRoot = process.getuid?.() === 0;
    // The workspace is private (mkdtemp): the other user must be able to read the config in it.
    await chmod(workspace.dir, 0o755);
    await chmod(configPath, 0o644);
    await chmod(workspace.storeDir, 0o555);
    const result = await runAs(asRoot ? NOBODY : undefined, ['-c', configPath, 'dump', 'create', '-n', 'fresh']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(`error: datastore.local_disk.dir ${workspace.storeDir}: not writable (EACCES)\n`);
    expect((await readdir(workspace.storeDir)).sort()).toEqual(['good']);
  });
});
