import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { loadConfigFile } from '../config/load.js';
import { openDatastore } from '../datastores/open.js';
import { LocalPostgres, stopLocalPostgres } from '../destinations/local/local-postgres.js';
import { defaultLocalDir, readState, type LocalServer } from '../destinations/local/local-server.js';
import { listDumps, type DumpSummary } from '../dump/catalog.js';
import { createDump } from '../operations/dump-create.js';
import { restoreLocal } from '../operations/dump-restore-local.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';
import { builtinTransformers } from '../transformers/builtin/index.js';
import { demoConfigYaml } from './demo-config.js';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataset, type SampleSize } from './sample-dataset.js';

export interface DemoOptions {
  /** Where conf.yaml and the dumps go; default ./replibyte-demo. Cleared at the start of each run. */
  dir?: string;
  /** Leave both servers running (their URIs are in the result; `replibyte local stop NAME` stops them). */
  keep?: boolean;
  /** Where the two servers keep their data; default the usual local directory (see defaultLocalDir). */
  serversDir?: string;
  size?: SampleSize;
  reporter?: Reporter;
  /** Each step's headline, for the CLI to print as the demo goes. */
  onStep?: (text: string) => void;
}

export interface DemoResult {
  dir: string;
  configPath: string;
  dumpName: string;
  dumps: DumpSummary[];
  sourceUri: string;
  localUri: string;
  /** The same customers, in the source and in the restored copy. */
  before: Array<Record<string, string | null>>;
  after: Array<Record<string, string | null>>;
  kept: boolean;
}

export const DEMO_SOURCE = 'demo-source';
export const DEMO_LOCAL = 'demo';
const SHOWN = 'SELECT id::text, first_name, last_name, email, phone, card_number FROM customers WHERE id = ANY($1::int[]) ORDER BY id';
/** The subset keeps some customers only: show the first few the restored copy has, from both sides. */
const SHOWN_IDS = 'SELECT array_agg(id) AS ids FROM (SELECT id FROM customers ORDER BY id LIMIT 5) first';

/**
 * `replibyte demo`: the main job on an embedded default. Starts a PostgreSQL source with a sample shop,
 * writes a config with transformers, dumps into a local-disk datastore, lists, restores into a second
 * local PostgreSQL, and returns rows before and after. Needs no server installed (pg_dump ≥ 15 on PATH).
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const reporter = options.reporter ?? silentReporter;
  const step = options.onStep ?? (() => undefined);
  const dir = resolve(options.dir ?? 'replibyte-demo');
  const serverDir = (name: string) => (options.serversDir ? join(options.serversDir, name) : defaultLocalDir(name));
  // Re-runnable: a previous run's servers (kept or crashed) and dumps are cleared first.
  for (const name of [DEMO_SOURCE, DEMO_LOCAL]) {
    if (await readState(serverDir(name))) await stopLocalPostgres(serverDir(name), { remove: true });
  }
  await rm(join(dir, 'dumps'), { recursive: true, force: true });
  await mkdir(join(dir, 'dumps'), { recursive: true });

  step('starting a source PostgreSQL 15 (embedded, no Docker) with a sample shop');
  const source = await LocalPostgres.start({ name: DEMO_SOURCE, dataDir: serverDir(DEMO_SOURCE) });
  let localServer: LocalServer | undefined;
  try {
    await source.createDatabase('shop');
    const sourceUri = source.uri('shop');
    const size = options.size ?? DEFAULT_SAMPLE_SIZE;
    await withClient(sourceUri, (client) => loadSampleDataset(client, size));
    step(`source ready: ${size.customers} customers, ${size.products} products, ${size.orders} orders`);

    const configPath = join(dir, 'conf.yaml');
    const yaml = demoConfigYaml({ sourceUri, storeDir: join(dir, 'dumps'), salt: randomBytes(16).toString('hex'), registry: builtinTransformers() });
    await writeFile(configPath, yaml, { mode: 0o600 });
    step(`config written to ${configPath}`);
    const config = await loadConfigFile(configPath);

    step(`replibyte -c ${configPath} dump create -n demo`);
    const manifest = await createDump(config, { name: 'demo', reporter });

    step(`replibyte -c ${configPath} dump list`);
    const datastore = await openDatastore(config);
    const dumps = await listDumps(datastore).finally(() => datastore.close());

    step(`replibyte -c ${configPath} dump restore local -v latest`);
    const restored = await restoreLocal(config, { value: 'latest', name: DEMO_LOCAL, dataDir: serverDir(DEMO_LOCAL), reporter });
    localServer = restored.server;
    const ids = await withClient(restored.uri, async (client) => (await client.query<{ ids: number[] }>(SHOWN_IDS)).rows[0]!.ids);
    const before = await withClient(sourceUri, async (client) => (await client.query(SHOWN, [ids])).rows);
    const after = await withClient(restored.uri, async (client) => (await client.query(SHOWN, [ids])).rows);
    const result: DemoResult = {
      dir,
      configPath,
      dumpName: manifest.name,
      dumps,
      sourceUri,
      localUri: restored.uri,
      before,
      after,
      kept: Boolean(options.keep),
    };
    if (options.keep) {
      await source.detach();
      await restored.server.detach();
    } else {
      await stopAll(source, localServer);
    }
    return result;
  } catch (error) {
    await stopAll(source, localServer);
    throw error;
  }
}

async function stopAll(...servers: Array<LocalServer | undefined>): Promise<void> {
  for (const server of servers) await server?.stop({ remove: true }).catch(() => undefined);
}

async function withClient<T>(uri: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
