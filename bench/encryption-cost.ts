/**
 * The cost of encryption: `dump create` of a ~200 MB table with and without `encryption_key`, run
 * alternately three times each (so drift in machine load hits both alike). Prints the medians and the
 * ratio. Run: npx tsx bench/encryption-cost.ts   (PostgreSQL on 127.0.0.1:5432, as the tests use)
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { createDump } from '../src/index.js';
import { createTestDatabase } from '../test/support/postgres.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_450_000);
const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_enc');
  const dir = await mkdtemp(join(tmpdir(), 'replibyte-bench-'));
  try {
    await db.sql(`CREATE TABLE public.big AS
      SELECT g AS id, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text) AS payload
      FROM generate_series(1, ${ROWS}) g`);
    const configFor = (encrypted: boolean, store: string) =>
      parseConfig(
        `${encrypted ? "encryption_key: 'bench passphrase'\n" : ''}salt: bench\nsource:\n  connection_uri: ${db.uri}\ndatastore:\n  local_disk:\n    dir: ${store}\n`,
        'bench.yaml',
      );
    const times: Record<'plain' | 'encrypted', number[]> = { plain: [], encrypted: [] };
    let rawBytes = 0;
    for (let run = 1; run <= RUNS; run += 1) {
      for (const mode of ['plain', 'encrypted'] as const) {
        const store = join(dir, `${mode}-${run}`);
        await mkdir(store);
        const started = process.hrtime.bigint();
        const manifest = await createDump(configFor(mode === 'encrypted', store), { name: 'bench' });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        rawBytes = manifest.totals.rawBytes;
        times[mode].push(seconds);
        console.log(`run ${run} ${mode.padEnd(9)} ${seconds.toFixed(2)} s  (${(rawBytes / 1e6 / seconds).toFixed(0)} MB/s raw)`);
        await rm(store, { recursive: true, force: true });
      }
    }
    const plain = median(times.plain);
    const encrypted = median(times.encrypted);
    console.log(`table: ${ROWS} rows, ${(rawBytes / 1e6).toFixed(0)} MB of COPY text; zstd level 3; local disk`);
    console.log(`median dump create: ${plain.toFixed(2)} s without encryption, ${encrypted.toFixed(2)} s with it`);
    console.log(`ratio encrypted / plain: ${(encrypted / plain).toFixed(3)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
}

await main();
