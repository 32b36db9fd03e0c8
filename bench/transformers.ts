/**
 * Transformer throughput, and what a transformed table costs against an untouched one.
 *
 *   npx tsx bench/transformers.ts [rows for the table comparison, default 200000]
 *
 * 1. values/second of each built-in transformer on its usual column type (in process, no database);
 * 2. `dump create` time of a table with 3 transformed columns vs the same table untouched, on the local
 *    PostgreSQL (postgres://postgres@127.0.0.1:5432, a throwaway database), as a ratio.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { createDump } from '../src/operations/dump-create.js';
import { builtinTransformers } from '../src/transformers/builtin/index.js';
import type { ColumnInfo } from '../src/transformers/transformer.js';
import { createTestDatabase } from '../test/support/postgres.js';

const registry = builtinTransformers();
const salt = Buffer.from('bench salt');
const row = { get: (name: string) => (name === 'id' ? '42' : null) };

const text: Partial<ColumnInfo> = { type: 'text', baseType: 'text' };
const CASES: Array<{ name: string; column: Partial<ColumnInfo>; value: (i: number) => string; options?: Record<string, unknown> }> = [
  { name: 'transient', column: text, value: (i) => `value ${i}` },
  { name: 'random', column: text, value: (i) => `some text ${i}` },
  { name: 'first-name', column: text, value: (i) => `Name${i}` },
  { name: 'last-name', column: text, value: (i) => `Last${i}` },
  { name: 'full-name', column: text, value: (i) => `Jane Doe${i}` },
  { name: 'username', column: text, value: (i) => `user${i}` },
  { name: 'email', column: text, value: (i) => `user${i}@acme.com` },
  { name: 'phone-number', column: text, value: (i) => `+1 555 ${i}` },
  { name: 'credit-card', column: text, value: (i) => `4111 1111 ${i}` },
  { name: 'keep-first-char', column: text, value: (i) => `Value${i}` },
  { name: 'redacted', column: text, value: (i) => `secret value ${i}` },
  { name: 'address', column: text, value: (i) => `${i} Main Street` },
  { name: 'city', column: text, value: (i) => `City${i}` },
  { name: 'zip-code', column: text, value: (i) => `${10000 + (i % 89999)}` },
  { name: 'country', column: text, value: (i) => `Country${i}` },
  { name: 'company', column: text, value: (i) => `Company ${i}` },
  { name: 'ip-address', column: { type: 'inet', baseType: 'inet' }, value: (i) => `10.0.${(i >> 8) & 255}.${i & 255}` },
  { name: 'uuid', column: { type: 'uuid', baseType: 'uuid' }, value: (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
  { name: 'url', column: text, value: (i) => `https://acme.com/u/${i}` },
  { name: 'lorem', column: text, value: (i) => `A note of about sixty characters written by customer ${i}.` },
  { name: 'hash', column: text, value: (i) => `user${i}@acme.com` },
  { name: 'null', column: text, value: (i) => `v${i}` },
  { name: 'constant', column: text, value: (i) => `v${i}`, options: { value: 'hidden' } },
  { name: 'template', column: text, value: (i) => `v${i}`, options: { template: 'user-{{id}}@example.com' } },
  { name: 'date-shift', column: { type: 'date', baseType: 'date' }, value: (i) => `2020-01-${String(1 + (i % 28)).padStart(2, '0')}` },
  { name: 'random-date', column: { type: 'date', baseType: 'date' }, value: (i) => `v${i}` },
  { name: 'number-noise', column: { type: 'numeric(10,2)', baseType: 'numeric' }, value: (i) => `${i}.25` },
  { name: 'mask', column: text, value: (i) => `4111 1111 1111 ${i}` },
  { name: 'json', column: { type: 'jsonb', baseType: 'jsonb' }, value: (i) => JSON.stringify({ name: `Jane ${i}`, contacts: [{ email: `j${i}@acme.com` }] }), options: { paths: [{ path: 'name', transformer_name: 'full-name' }, { path: 'contacts.$.email', transformer_name: 'email' }] } },
];

function throughput(): Array<[string, number]> {
  const results: Array<[string, number]> = [];
  for (const c of CASES) {
    const definition = registry.get(c.name)!;
    const column: ColumnInfo = { schema: 'public', table: 'bench', name: 'value', type: 'text', baseType: 'text', ...c.column };
    const apply = definition.create(definition.options.parse(c.options ?? {}), { column, salt, tableColumns: ['value', 'id'], transformOf: () => undefined });
    for (let i = 0; i < 2000; i += 1) apply(c.value(i), row); // warm up
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 500) {
      for (let k = 0; k < 500; k += 1) apply(c.value(n++), row);
    }
    results.push([c.name, Math.round(n / ((performance.now() - start) / 1000))]);
  }
  return results;
}

async function tableRatio(rows: number): Promise<{ untouched: number; transformed: number }> {
  const db = await createTestDatabase('bench_tr');
  const store = await mkdtemp(join(tmpdir(), 'replibyte-bench-'));
  try {
    await db.sql(`CREATE TABLE customers (id int PRIMARY KEY, email text, name text, phone text, city text, created_at timestamptz, score int);
                  INSERT INTO customers SELECT i, 'user' || i || '@acme.com', 'Name ' || i, '+1 555 ' || i, 'City ' || (i % 100), now(), i % 1000
                  FROM generate_series(1, ${rows}) i; ANALYZE customers`);
    const yaml = (transformers: string) =>
      `salt: bench\nsource:\n  connection_uri: ${db.uri}\n  compression: true\n${transformers}datastore:\n  local_disk:\n    dir: ${store}\n`;
    const time = async (config: string, name: string) => {
      const start = performance.now();
      await createDump(parseConfig(config, 'bench.yaml', {}), { name });
      return (performance.now() - start) / 1000;
    };
    const plain = yaml('');
    const transformed = yaml(
      `  transformers:\n    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: email }\n        - { name: name, transformer_name: full-name }\n        - { name: phone, transformer_name: phone-number }\n`,
    );
    await time(plain, 'warmup');
    const untouched = Math.min(await time(plain, 'plain-1'), await time(plain, 'plain-2'));
    const changed = Math.min(await time(transformed, 'tr-1'), await time(transformed, 'tr-2'));
    return { untouched, transformed: changed };
  } finally {
    await db.drop();
    await rm(store, { recursive: true, force: true });
  }
}

const rows = Number(process.argv[2] ?? 200_000);
process.stdout.write('| transformer | values/s |\n|---|---:|\n');
for (const [name, rate] of throughput()) process.stdout.write(`| ${name} | ${rate.toLocaleString('en-US')} |\n`);
const { untouched, transformed } = await tableRatio(rows);
process.stdout.write(
  `\n${rows.toLocaleString('en-US')} rows, dump create: untouched ${untouched.toFixed(2)} s, 3 transformed columns (email, full-name, phone-number) ${transformed.toFixed(2)} s, ratio ${(transformed / untouched).toFixed(2)}\n`,
);
