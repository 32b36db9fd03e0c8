import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigTable } from '../../support/big-table.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { backendsLeft, startCli, terminateBackendWhen, storedFiles } from '../../support/running-cli.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * A connection the server terminates mid-run (pg_terminate_backend) ends the run with one line naming
 * the server, never a crash with a stack trace: the dump's chunks are removed, a restore says what it left.
 */
describe('a PostgreSQL connection terminated by the server', () => {
  let source: TestDatabase;
  let destination: TestDatabase;
  let workspace: Workspace;
  let config: string;

  beforeAll(async () => {
    [source, destination, workspace] = await Promise.all([createTestDatabase('dropsrc'), createTestDatabase('dropdst'), createWorkspace()]);
    // Large enough that the COPY of `big` runs for a few seconds, bounded.
    await createBigTable(source, 60);
    await source.sql(`CREATE TABLE small (id int PRIMARY KEY, big_id int REFERENCES big); INSERT INTO small SELECT g, g FROM generate_series(1, 1000) g;`);
    config = await workspace.writeConfig(`
salt: drop-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination.uri}
`);
    const full = await runCli(['-c', config, 'dump', 'create', '-n', 'full', '--jobs', '2'], { timeoutMs: 110_000 });
    expect(full.code, full.stderr).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), destination?.drop(), workspace?.remove()]);
  });

  const host = () => `127\\.0\\.0\\.1:5432/`;
  /**
   * The server says why (57P01) before it closes the socket, unless its backend was blocked writing to
   * us (a COPY TO read slowly) or we were writing to it (a COPY FROM): then the socket just closes.
   */
  const why = '\\((57P01|it closed the connection(: EPIPE)?)\\)|or the network \\(ECONNRESET\\)';

  it.each(['1', '2'])('dump create --jobs %s: the source backend terminated mid-COPY: one line, chunks removed, no backend left', async (jobs) => {
    const run = startCli(['-c', config, 'dump', 'create', '-n', `dropped-${jobs}`, '--jobs', jobs]);
    await terminateBackendWhen(source.name, 'replibyte source', 'COPY%big%');
    const exit = await run.exit(30_000);
    expect(exit.stderr).toMatch(new RegExp(`^error: connection to source ${host()}${source.name} was terminated by the server (${why})$`, 'm'));
    expect(exit.stderr).not.toMatch(/Unhandled| {4}at /);
    expect(exit.code).toBe(1);
    expect(await backendsLeft(source.name)).toEqual([]);
    expect((await storedFiles(workspace.storeDir)).filter((key) => !key.startsWith('full/'))).toEqual([]);
    const list = await runCli(['-c', config, 'dump', 'list', '--json'], { timeoutMs: 20_000 });
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((dump) => dump.name)).toEqual(['full']);
  });

  it('dump restore --jobs 1: the destination backend terminated mid-COPY: one line, rolled back', async () => {
    const run = startCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'full', '--jobs', '1']);
    await terminateBackendWhen(destination.name, 'replibyte destination', 'COPY%');
    const exit = await run.exit(30_000);
    expect(exit.stderr).toMatch(new RegExp(`^error: restore failed: connection to destination ${host()}${destination.name} was terminated by the server (${why})$`, 'm'));
    expect(exit.stderr).toMatch(/the server rolls back the unfinished transaction/);
    expect(exit.stderr).not.toMatch(/Unhandled| {4}at /);
    expect(exit.code).toBe(1);
    expect(await backendsLeft(destination.name)).toEqual([]);
    expect(await destination.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);
  });

  it('dump restore --jobs 2: the destination backend terminated mid-COPY: one line, and what it left', async () => {
    const run = startCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'full', '--jobs', '2']);
    await terminateBackendWhen(destination.name, 'replibyte destination', 'COPY%big%');
    const exit = await run.exit(30_000);
    expect(exit.stderr).toMatch(new RegExp(`^error: restore failed: connection to destination ${host()}${destination.name} was terminated by the server (${why})$`, 'm'));
    expect(exit.stderr).toMatch(/is partly restored \(--jobs 2 does not run in one transaction\): the schema is in place, [01] of 2 tables hold their rows/);
    expect(exit.stderr).not.toMatch(/Unhandled| {4}at /);
    expect(exit.code).toBe(1);
    expect(await backendsLeft(destination.name)).toEqual([]);
  });
});
