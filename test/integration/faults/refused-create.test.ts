import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { backendsLeft, storedFiles } from '../../support/running-cli.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * A `dump create` that is refused (the name is taken or invalid, the datastore cannot be written) must
 * exit at once and leave no connection on the source: one left `idle in transaction` holds back VACUUM.
 * The CLI runs with a 20 s limit; before the fix these runs never exited.
 */
describe('a refused dump create exits and closes the source', () => {
  let source: TestDatabase;
  let workspace: Workspace;
  let config: string;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('refused'), createWorkspace()]);
    await source.sql(`CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
                      CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a); INSERT INTO b SELECT g, g FROM generate_series(1, 2000) g;`);
    config = await workspace.writeConfig(`
salt: refused-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const first = await runCli(['-c', config, 'dump', 'create', '-n', 'taken', '--jobs', '2'], { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  async function dumpNames(): Promise<string[]> {
    const list = await runCli(['-c', config, 'dump', 'list', '--json'], { timeoutMs: 20_000 });
    expect(list.code).toBe(0);
    return (JSON.parse(list.stdout) as Array<{ name: string }>).map((dump) => dump.name);
  }

  it.each([
    ['a name that holds a dump', 'taken', /a dump named taken already exists/],
    ['a name with a slash', 'a/b', /invalid dump name 'a\/b'/],
    ['the name ..', '..', /invalid dump name '\.\.'/],
  ])('%s: exit 1 in seconds, no backend left, nothing stored', async (_case, name, message) => {
    const started = Date.now();
    const result = await runCli(['-c', config, 'dump', 'create', '-n', name, '--jobs', '2'], { timeoutMs: 20_000 });
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await backendsLeft(source.name)).toEqual([]);
    expect(await dumpNames()).toEqual(['taken']);
  });

  it.runIf(existsSync('/proc/sys'))('a datastore directory that refuses new directories (/proc/sys): exit 1 in seconds, no spin', async () => {
    const procConfig = await workspace.writeConfig(`
salt: refused-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: /proc/sys
`);
    const started = Date.now();
    const result = await runCli(['-c', procConfig, 'dump', 'create', '-n', 'nowhere', '--jobs', '2'], { timeoutMs: 20_000 });
    expect(result.stderr).toMatch(/\/proc\/sys.*nowhere/);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await backendsLeft(source.name)).toEqual([]);
    expect(existsSync('/proc/sys/nowhere')).toBe(false);
    // The configuration file is rewritten by writeConfig: the first config again for later tests.
    await workspace.writeConfig(`
salt: refused-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    expect((await storedFiles(workspace.storeDir)).filter((key) => !key.startsWith('taken/'))).toEqual([]);
  });
});
