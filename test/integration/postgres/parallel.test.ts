import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump, type Datastore } from '../../../src/index.js';
import { LocalDiskDatastore } from '../../../src/datastores/local-disk/local-disk-datastore.js';
import { DumpWriter } from '../../../src/dump/dump-writer.js';
import { silentReporter } from '../../../src/reporting/reporter.js';
import { PostgresSource } from '../../../src/sources/postgres/postgres-source.js';
import { builtinTransformers } from '../../../src/transformers/builtin/index.js';
import { allColumns, columnDigest, describeSchema, rowCounts } from '../../support/compare.js';
import { runCli } from '../../support/cli.js';
import { loadFixture } from '../../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

function configYaml(source: TestDatabase, destination: TestDatabase, store: string): string {
  return `
salt: test-salt
source:
  connection_uri: ${source.uri}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

async function notValidConstraints(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ name: string }>(
    `SELECT conname AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE NOT c.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return rows.map((row) => row.name);
}

describe('PostgreSQL parallel dump and restore (--jobs)', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let viaCli: TestDatabase;
  let broken: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, restored, viaCli, broken, workspace] = await Promise.all([
      createTestDatabase('psrc'),
      createTestDatabase('pdst'),
      createTestDatabase('pcli'),
      createTestDatabase('pbrk'),
      createWorkspace(),
    ]);
    await loadFixture(source, 'kitchen-sink.sql');
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), viaCli?.drop(), broken?.drop(), workspace?.remove()]);
  });

  it('dumps over 3 connections and restores over 2: same schema, rows and values, every constraint valid', async () => {
    const config = workspace.config(configYaml(source, restored, workspace.storeDir));
    // Small chunks: parts written at once interleave their chunk numbers.
    const manifest = await createDump(config, { name: 'parallel', jobs: 3, chunkSize: 4096 });
    const sections = manifest.parts.map((part) => part.section);
    expect(sections[0]).toBe('pre-data');
    expect(sections.at(-1)).toBe('post-data');
    expect(sections.slice(1, -1).every((section) => section === 'data')).toBe(true);
    expect(manifest.parts.at(-2)!.label).toBe('sequence values');

    const serial = await createDump(config, { name: 'serial', jobs: 1 });
    const byLabel = (m: typeof manifest) => Object.fromEntries(m.parts.map((p) => [p.label, [p.rows, p.rawBytes]]));
    expect(byLabel(manifest)).toEqual(byLabel(serial));

    const summary = await restoreDump(config, { value: 'parallel', jobs: 2 });
    expect(summary.rows).toBe(manifest.totals.rows);
    expect(await describeSchema(restored)).toEqual(await describeSchema(source));
    expect(await rowCounts(restored)).toEqual(await rowCounts(source));
    for (const { table, column } of await allColumns(source)) {
      expect(await columnDigest(restored, table, column), `${table}.${column}`).toBe(await columnDigest(source, table, column));
    }
    expect(await notValidConstraints(restored)).toEqual(await notValidConstraints(source));

    // Rows were written frozen (COPY … FREEZE): every page of every plain table with rows is all-frozen,
    // so the index builds and key validations after the load did not have to set hint bits.
    await restored.sql('CREATE EXTENSION IF NOT EXISTS pg_visibility');
    const pages = await restored.sql<{ name: string; frozen: string; total: string }>(
      `SELECT c.oid::regclass::text AS name, (pg_visibility_map_summary(c.oid)).all_frozen::text AS frozen, pg_relation_size(c.oid) / current_setting('block_size')::int AS total
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND pg_relation_size(c.oid) > 0`,
    );
    expect(pages.length).toBeGreaterThan(3);
    for (const table of pages) expect(`${table.name}: ${table.frozen} of ${table.total} pages frozen`).toBe(`${table.name}: ${table.total} of ${table.total} pages frozen`);
  });

  it('takes --jobs on the command line, for dump create and dump restore remote', async () => {
    const configPath = await workspace.writeConfig(configYaml(source, viaCli, workspace.storeDir));
    const dumped = await runCli(['-c', configPath, 'dump', 'create', '-n', 'cli-jobs', '--jobs', '2']);
    expect(dumped.stderr).not.toMatch(/error/i);
    expect(dumped.code).toBe(0);
    const restoredCli = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'cli-jobs', '--jobs', '2']);
    expect(restoredCli.code).toBe(0);
    expect(restoredCli.stderr).toMatch(/over 2 connections/);
    expect(await rowCounts(viaCli)).toEqual(await rowCounts(source));
    expect(await describeSchema(viaCli)).toEqual(await describeSchema(source));
    const bad = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'cli-jobs', '--jobs', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--jobs takes a whole number/);
  });

  it('says what a failed parallel restore left behind', async () => {
    const config = workspace.config(configYaml(source, broken, workspace.storeDir));
    const manifest = await createDump(config, { name: 'to-break', jobs: 2 });
    // A dump whose chunks all pass their checks (a damaged one is refused before the wipe, decision 0012)
    // but whose largest table fails to load: the manifest (not authenticated without encryption_key)
    // announces one row more than its chunks hold.
    const big = [...manifest.parts].filter((p) => p.kind === 'table-data' && p.chunks.length > 0).sort((a, b) => b.rawBytes - a.rawBytes)[0]!;
    const path = join(workspace.storeDir, 'to-break', 'manifest.json');
    const stored = JSON.parse(await readFile(path, 'utf8')) as typeof manifest;
    stored.parts.find((part) => part.label === big.label)!.rows = big.rows! + 1;
    await writeFile(path, JSON.stringify(stored));
    const error = await restoreDump(config, { value: 'to-break', jobs: 2 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`${big.label}: loaded ${big.rows} rows, the manifest says ${big.rows! + 1}`);
    expect(error?.message).toMatch(/partly restored \(--jobs 2 does not run in one transaction\): the schema is in place, \d+ of \d+ tables hold their rows/);
  });
});

/** A datastore that takes its chunks slowly, as a far-away bucket would: about 16 MB/s. */
class SlowDatastore implements Datastore {
  stored = 0;
  constructor(private readonly inner: Datastore) {}
  get description() {
    return `slow ${this.inner.description}`;
  }
  async put(key: string, body: Readable): Promise<void> {
    const count = (bytes: number) => {
      this.stored += bytes;
    };
    async function* slowly() {
      for await (const piece of body as AsyncIterable<Buffer>) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(piece.length / 16_384)));
        count(piece.length);
        yield piece;
      }
    }
    await this.inner.put(key, Readable.from(slowly()));
  }
  putAtomic = (key: string, body: Buffer) => this.inner.putAtomic(key, body);
  get = (key: string) => this.inner.get(key);
  getSmall = (key: string, maxBytes?: number) => this.inner.getSmall(key, maxBytes);
  list = (prefix: string) => this.inner.list(prefix);
  listDetailed = (prefix: string) => this.inner.listDetailed(prefix);
  listTopLevel = () => this.inner.listTopLevel();
  listTopLevelOpenUploads = () => this.inner.listTopLevelOpenUploads();
  deletePrefix = (prefix: string, options?: { except?: string }) => this.inner.deletePrefix(prefix, options);
  delete = (key: string) => this.inner.delete(key);
  close = () => this.inner.close();
}

/** A datastore whose uploads break after 2 MB, as a store that went away mid-upload would. */
class BreakingDatastore extends SlowDatastore {
  override async put(key: string, body: Readable): Promise<void> {
    let taken = 0;
    for await (const piece of body as AsyncIterable<Buffer>) {
      taken += piece.length;
      if (taken > 2_000_000) {
        body.destroy();
        throw new Error(`the store went away while storing ${key}`);
      }
    }
  }
}

describe('parallel dump into a slow datastore', () => {
  let source: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('pslow'), createWorkspace()]);
    // Two tables of about 16 MB of COPY text each, read at once over two connections.
    await source.sql(`
      CREATE TABLE a (id int PRIMARY KEY, body text);
      CREATE TABLE b (id int PRIMARY KEY, body text);
      INSERT INTO a SELECT g, repeat(md5(g::text), 7) FROM generate_series(1, 70000) g;
      INSERT INTO b SELECT g, repeat(md5((-g)::text), 7) FROM generate_series(1, 70000) g;
    `);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  it('slows the readers down instead of buffering: bytes read minus bytes stored stays bounded', async () => {
    const config = workspace.config(configYaml(source, source, workspace.storeDir));
    const slow = new SlowDatastore(await LocalDiskDatastore.open(workspace.storeDir));
    const writer = await DumpWriter.begin(slow, { name: 'slow', compression: 'none' });
    let read = 0;
    let maxAhead = 0;
    const counting = {
      writePart: (description: Parameters<DumpWriter['writePart']>[0], data: AsyncIterable<Buffer>) => {
        async function* count() {
          for await (const piece of data) {
            read += piece.length;
            maxAhead = Math.max(maxAhead, read - slow.stored);
            yield piece;
          }
        }
        return writer.writePart(description, count());
      },
    };
    const sourceDb = await PostgresSource.open(source.uri, { jobs: 2 });
    try {
      await sourceDb.dump(counting, { config, registry: builtinTransformers(), salt: Buffer.from('salt'), reporter: silentReporter });
    } finally {
      await sourceDb.close();
    }
    await writer.commit({ engine: { kind: 'postgresql', serverVersion: '15', dumpTool: 'pg_dump' }, source: { kind: 'live', database: 'x' }, schemas: ['public'], transformed: [] });
    expect(read).toBeGreaterThan(30_000_000);
    expect(slow.stored).toBeGreaterThanOrEqual(read);
    // Each part in flight holds at most its two 1 MB stream buffers, the file stream's and one piece.
    expect(maxAhead).toBeLessThan(12 * 1024 * 1024);
  }, 300_000);

  // A COPY left unread keeps its connection busy: the sequence values and the ROLLBACK queued behind it
  // used to wait forever, so a dump whose datastore failed mid-table never failed (issue #7).
  it.each([1, 2])('fails, in bounded time, when the datastore breaks mid-table (--jobs %i)', async (jobs) => {
    const config = workspace.config(configYaml(source, source, workspace.storeDir));
    const broken = new BreakingDatastore(await LocalDiskDatastore.open(workspace.storeDir));
    const writer = await DumpWriter.begin(broken, { name: `broken-${jobs}`, compression: 'none' });
    const sourceDb = await PostgresSource.open(source.uri, { jobs });
    const started = Date.now();
    const failing = (async () => {
      try {
        await sourceDb.dump(writer, { config, registry: builtinTransformers(), salt: Buffer.from('salt'), reporter: silentReporter });
      } finally {
        await sourceDb.close();
      }
    })();
    const error = await failing.then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^dumping table public\.[ab]: the store went away while storing broken-\d\/\d{6}\.chunk$/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
