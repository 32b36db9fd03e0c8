import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigTable } from '../../support/big-table.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { backendsLeft, startCli, waitForQuery, type RunningCli, storedFiles } from '../../support/running-cli.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/** A server that accepts connections and never answers: a command talking to it waits for ever. */
async function startSilentServer(): Promise<{ port: number; count(): number; connected(count: number): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    count: () => connections,
    /** Resolves once more than `count` connections came (at most 20 s). */
    async connected(count) {
      for (let waited = 0; connections <= count && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * SIGINT and SIGTERM end every command within seconds with 130 and 143; a dump create removes its
 * chunks and a restore says what it left; no connection stays on the servers.
 */
describe('signals', () => {
  let source: TestDatabase;
  let destination: TestDatabase;
  let workspace: Workspace;
  let config: string;

  beforeAll(async () => {
    [source, destination, workspace] = await Promise.all([createTestDatabase('sigsrc'), createTestDatabase('sigdst'), createWorkspace()]);
    // Large enough that the COPY of `big` runs for a few seconds on a loaded machine, bounded.
    await createBigTable(source, 60);
    await source.sql(`CREATE TABLE small (id int PRIMARY KEY, big_id int REFERENCES big); INSERT INTO small SELECT g, g FROM generate_series(1, 1000) g;
                      CREATE INDEX small_big ON small (big_id); CREATE MATERIALIZED VIEW big_count AS SELECT count(*) FROM big;`);
    // \`big\` goes through a transformer that spins 20 µs a row: 300,000 rows take seconds even on a
    // quiet machine, so the signal always lands while its COPY is being read.
    const slow = fileURLToPath(new URL('../../fixtures/transformers/slow-identity.mjs', import.meta.url));
    config = await workspace.writeConfig(`
salt: signal-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: big
      columns:
        - { name: a, transformer_name: custom, transformer_options: { module: ${JSON.stringify(slow)}, options: { micros: 20 } } }
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

  async function expectOnlyTheFullDump(): Promise<void> {
    expect((await storedFiles(workspace.storeDir)).filter((key) => !key.startsWith('full/'))).toEqual([]);
    const list = await runCli(['-c', config, 'dump', 'list', '--json'], { timeoutMs: 20_000 });
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((dump) => dump.name)).toEqual(['full']);
  }

  async function interrupt(run: RunningCli, signal: NodeJS.Signals) {
    const sent = Date.now();
    run.child.kill(signal);
    const exit = await run.exit(30_000);
    return { ...exit, seconds: (Date.now() - sent) / 1000 };
  }

  it.each([
    ['SIGINT', '1', 130],
    ['SIGTERM', '2', 143],
  ] as const)('dump create, %s mid-COPY (--jobs %s): exit %i, no chunk left, no backend left', async (signal, jobs, code) => {
    const run = startCli(['-c', config, 'dump', 'create', '-n', `cut-${jobs}`, '--jobs', jobs, '--json']);
    await run.waitFor(/"type":"table-progress","table":"public\.big"/);
    const exit = await interrupt(run, signal);
    expect(exit.stderr).toMatch(/dump create was interrupted; nothing was stored/);
    expect(exit.code).toBe(code);
    expect(exit.seconds).toBeLessThan(12);
    expect(await backendsLeft(source.name)).toEqual([]);
    await expectOnlyTheFullDump();
  });

  it('dump restore remote --jobs 1, SIGINT mid-COPY: exit 130, rolled back, and it says so', async () => {
    const run = startCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'full', '--jobs', '1']);
    await waitForQuery(destination.name, 'replibyte destination', 'COPY%');
    const exit = await interrupt(run, 'SIGINT');
    expect(exit.stderr).toMatch(/error: restore interrupted by SIGINT\nnothing was changed in destination/);
    expect(exit.code).toBe(130);
    expect(exit.seconds).toBeLessThan(12);
    expect(await backendsLeft(destination.name)).toEqual([]);
    expect(await destination.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);
  });

  it('dump restore remote --jobs 2, SIGTERM mid-COPY: exit 143 and what it left behind', async () => {
    const run = startCli(['-c', config, 'dump', 'restore', 'remote', '-v', 'full', '--jobs', '2']);
    await waitForQuery(destination.name, 'replibyte destination', 'COPY%');
    const exit = await interrupt(run, 'SIGTERM');
    expect(exit.stderr).toMatch(/error: restore interrupted by SIGTERM\n.*is partly restored \(--jobs 2 does not run in one transaction\)/);
    expect(exit.stderr).toMatch(/post-data statement\(s\) did not run/);
    expect(exit.code).toBe(143);
    expect(exit.seconds).toBeLessThan(12);
    expect(await backendsLeft(destination.name)).toEqual([]);
  });

  describe('commands waiting on a server that never answers', () => {
    let silent: Awaited<ReturnType<typeof startSilentServer>>;
    let silentConfig: string;

    beforeAll(async () => {
      silent = await startSilentServer();
      silentConfig = join(workspace.dir, 'silent.yaml');
      await writeFile(silentConfig, `
source:
  connection_uri: postgres://app@127.0.0.1:${silent.port}/app
datastore:
  aws:
    bucket: dumps
    region: us-east-1
    credentials:
      access_key_id: KEY
      secret_access_key: SECRET
    endpoint:
      custom: http://127.0.0.1:${silent.port}
`);
    });

    afterAll(async () => {
      await silent?.close();
    });

    it.each([
      ['source scan', 'SIGINT', 130, ['source', 'scan', '--uri', 'URI']],
      ['config check --preview', 'SIGTERM', 143, ['-c', 'CONFIG', 'config', 'check', '--preview', '3']],
      ['dump verify', 'SIGINT', 130, ['-c', 'CONFIG', 'dump', 'verify', '-v', 'latest']],
      // Its clean-up waits on the server too: the grace period (10 s) ends it.
      ['dump create', 'SIGTERM', 143, ['-c', 'CONFIG', 'dump', 'create']],
    ] as const)('%s: %s ends it within seconds with exit %i', async (_name, signal, code, args) => {
      const uri = `postgres://app@127.0.0.1:${silent.port}/app`;
      const before = silent.count();
      const run = startCli(args.map((arg) => (arg === 'URI' ? uri : arg === 'CONFIG' ? silentConfig : arg)));
      await silent.connected(before);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the command is now waiting on the server
      const exit = await interrupt(run, signal);
      expect(exit.code).toBe(code);
      expect(exit.seconds).toBeLessThan(16);
    });

    it('a second SIGINT ends a run whose clean-up waits at once', async () => {
      const before = silent.count();
      const run = startCli(['-c', silentConfig, 'dump', 'create']);
      await silent.connected(before);
      await new Promise((resolve) => setTimeout(resolve, 500));
      run.child.kill('SIGINT');
      await run.waitFor(/interrupted \(SIGINT\)/, 10_000);
      const exit = await interrupt(run, 'SIGINT');
      expect(exit.stderr).toMatch(/SIGINT again: stopping now/);
      expect(exit.code).toBe(130);
      expect(exit.seconds).toBeLessThan(3);
    });
  });
});
