/**
 * `npm run bench:wide -- [--engine postgres,mysql,mongodb] [--rounds 2]`: `dump create` of a table of
 * wide rows (one long text per row) with one small column transformed, against the same table untouched,
 * alternated in one run, at several row sizes. A transformed table must cost at most 2 x the untouched
 * one at every size, with a peak RSS of at most 200 MB + 2 x the row (issue #18). Writes
 * bench/results/wide-rows.json and the "Wide rows" section of docs/performance.md, and prints the ratios.
 *
 * PostgreSQL: rows of 1, 30 and 100 MB (~300 MB a table). MySQL/MariaDB rows and MongoDB documents stop
 * below the server's limit on one row or document (max_allowed_packet, 16 MB by default; BSON's 16 MB),
 * so they are measured at 1 MB and 15 MB. MongoDB is the tests' wire-protocol server, run in this
 * process (no MongoDB server on these machines): its figures compare replibyte with itself only.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MongoTestServer } from '../test/support/mongo-server/mongo-test-server.js';
import { measure, median, type Measurement } from './measure.js';

const ROOT = resolve(import.meta.dirname, '..');
const MB = 1024 * 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);
const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

type Engine = 'postgres' | 'mysql' | 'mongodb';

interface Case {
  engine: Engine;
  rowMb: number;
  rows: number;
}

interface CaseResult extends Case {
  untouched: number[];
  transformed: number[];
  untouchedRssMb: number;
  transformedRssMb: number;
}

const CASES: Case[] = [
  { engine: 'postgres', rowMb: 1, rows: 300 },
  { engine: 'postgres', rowMb: 30, rows: 10 },
  { engine: 'postgres', rowMb: 100, rows: 3 },
  { engine: 'mysql', rowMb: 1, rows: 300 },
  { engine: 'mysql', rowMb: 15, rows: 20 },
  { engine: 'mongodb', rowMb: 1, rows: 300 },
  { engine: 'mongodb', rowMb: 15, rows: 20 },
];

const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL = process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306';
const DATABASE = 'replibyte_bench_wide';

/** Fills the engine's table `wide` (id, name, body) with `rows` rows whose body is `rowMb` MB; returns the source URI. */
async function prepare(c: Case, mongo: () => Promise<MongoTestServer>): Promise<string> {
  const repeats = Math.floor((c.rowMb * MB) / 32);
  if (c.engine === 'postgres') {
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    const url = new URL(PG);
    url.pathname = `/${DATABASE}`;
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    await db.query('CREATE TABLE wide (id int PRIMARY KEY, name text NOT NULL, body text NOT NULL)');
    await db.query(`INSERT INTO wide SELECT g, 'name' || g, repeat(md5(g::text), ${repeats}) FROM generate_series(1, ${c.rows}) g`);
    await db.end();
    return url.toString();
  }
  if (c.engine === 'mysql') {
    const admin = await mysql.createConnection({ uri: MYSQL, multipleStatements: true });
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}; USE ${DATABASE};
      CREATE TABLE wide (id int PRIMARY KEY, name varchar(40) NOT NULL, body longtext NOT NULL)`);
    for (let id = 1; id <= c.rows; id += 1) await admin.query(`INSERT INTO wide VALUES (${id}, CONCAT('name', ${id}), REPEAT(MD5(${id}), ${repeats}))`);
    await admin.end();
    return `${MYSQL}/${DATABASE}`;
  }
  const server = await mongo();
  const body = 'abcdefghijklmnopqrstuvwxyz012345'.repeat(repeats);
  server.addGeneratedCollection(DATABASE, `wide_${c.rowMb}`, c.rows, (i) => ({ _id: i, name: `name${i}`, body }));
  return server.uri(DATABASE);
}

function config(c: Case, source: string, store: string, transformed: boolean): string {
  const table = c.engine === 'mongodb' ? `wide_${c.rowMb}` : 'wide';
  const database = c.engine === 'postgres' ? 'public' : DATABASE;
  const transformers = transformed
    ? `
  transformers:
    - database: ${database}
      table: ${table}
      columns:
        - { name: name, transformer_name: first-name }`
    : '';
  return `salt: bench
source:
  connection_uri: ${source}
  compression: zstd${transformers}${c.engine === 'mongodb' ? '' : `
  only_tables:
    - { database: ${database}, table: ${table} }`}
datastore:
  local_disk:
    dir: ${store}
`;
}

async function runCase(c: Case, rounds: number, scratch: string, mongo: () => Promise<MongoTestServer>): Promise<CaseResult> {
  log(`${c.engine}: ${c.rows} rows of ${c.rowMb} MB`);
  const source = await prepare(c, mongo);
  const store = join(scratch, 'store');
  const runs: Record<'untouched' | 'transformed', Measurement[]> = { untouched: [], transformed: [] };
  for (let round = 1; round <= rounds; round += 1) {
    for (const kind of ['untouched', 'transformed'] as const) {
      await rm(store, { recursive: true, force: true });
      await mkdir(store);
      const path = join(scratch, `${kind}.yaml`);
      await writeFile(path, config(c, source, store, kind === 'transformed'));
      const m = await measure(`node ${q(join(ROOT, 'bin/replibyte.js'))} -q -c ${q(path)} dump create -n w`, scratch);
      log(`  ${kind}: ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMb?.toFixed(0)} MB`);
      runs[kind].push(m);
    }
  }
  const peak = (list: Measurement[]) => Math.max(...list.map((m) => m.peakRssMb ?? Number.NaN));
  return {
    ...c,
    untouched: runs.untouched.map((m) => Number(m.seconds.toFixed(3))),
    transformed: runs.transformed.map((m) => Number(m.seconds.toFixed(3))),
    untouchedRssMb: Math.round(peak(runs.untouched)),
    transformedRssMb: Math.round(peak(runs.transformed)),
  };
}

/** One line per case: the ratio and the memory against their targets. */
function targetLines(results: CaseResult[]): string[] {
  return results.map((r) => {
    const ratio = median(r.transformed) / median(r.untouched);
    const rssLimit = 200 + 2 * r.rowMb;
    const rss = Math.max(r.transformedRssMb, r.untouchedRssMb);
    return (
      `${r.engine} ${r.rows} rows of ${r.rowMb} MB: transformed ${ratio.toFixed(2)} x untouched (target <= 2: ${ratio <= 2 ? 'holds' : 'MISSES'}), ` +
      `peak RSS ${rss} MB (target <= ${rssLimit}: ${rss <= rssLimit ? 'holds' : 'MISSES'})`
    );
  });
}

const START = '<!-- wide-rows:start (bench/wide-rows.ts writes this section) -->';
const END = '<!-- wide-rows:end -->';

async function writeReport(results: CaseResult[], command: string): Promise<void> {
  const rows = results.map((r) => {
    const ratio = median(r.transformed) / median(r.untouched);
    return `| ${r.engine} | ${r.rows} x ${r.rowMb} MB | ${median(r.untouched).toFixed(2)} s (${r.untouched.join(' / ')}) | ${median(r.transformed).toFixed(2)} s (${r.transformed.join(' / ')}) | **${ratio.toFixed(2)}** | ${r.untouchedRssMb} / ${r.transformedRssMb} MB | ${200 + 2 * r.rowMb} MB |`;
  });
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const section = [
    START,
    `\`${command}\`, ${new Date().toISOString()}, load average at the end ${load}. Each table is one text per row`,
    '(`body`) and a short `name`; "transformed" runs `first-name` on `name`. Untouched and transformed ran alternately.',
    '',
    '| engine | rows | untouched | transformed | ratio | peak RSS untouched / transformed | RSS target |',
    '|---|---|---|---|---:|---|---|',
    ...rows,
    '',
    '```',
    ...targetLines(results),
    '```',
    END,
  ].join('\n');
  const path = join(ROOT, 'docs/performance.md');
  let doc = await readFile(path, 'utf8');
  if (doc.includes(START) && doc.includes(END)) doc = doc.slice(0, doc.indexOf(START)) + section + doc.slice(doc.indexOf(END) + END.length);
  else doc = `${doc.trimEnd()}\n\n## Wide rows\n\n${section}\n`;
  await writeFile(path, doc);
}

async function main(): Promise<void> {
  let engines: Engine[] = ['postgres', 'mysql', 'mongodb'];
  let rounds = 2;
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--engine') engines = argv[i + 1]!.split(',') as Engine[];
    else if (argv[i] === '--rounds') rounds = Number(argv[i + 1]);
    else throw new Error(`unknown argument ${argv[i]} (use --engine postgres,mysql,mongodb --rounds R)`);
  }
  log('building dist/ (tsup) so the CLI runs the current code');
  execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const scratch = await mkdtemp(join(tmpdir(), 'replibyte-wide-'));
  let server: MongoTestServer | undefined;
  const mongo = async () => (server ??= await MongoTestServer.start());
  const results: CaseResult[] = [];
  try {
    for (const c of CASES.filter((one) => engines.includes(one.engine))) results.push(await runCase(c, rounds, scratch, mongo));
  } finally {
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.end();
    const my = await mysql.createConnection({ uri: MYSQL });
    await my.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await my.end();
  }
  const command = `npm run bench:wide -- ${argv.join(' ')}`.trim();
  // Cases not measured in this run keep their figures from the last run that measured them.
  const file = join(ROOT, 'bench/results/wide-rows.json');
  const earlier = await readFile(file, 'utf8').then((text) => (JSON.parse(text) as { results: CaseResult[] }).results, () => []);
  const merged = CASES.map((c) => results.find((r) => r.engine === c.engine && r.rowMb === c.rowMb) ?? earlier.find((r) => r.engine === c.engine && r.rowMb === c.rowMb)).filter((r) => r !== undefined);
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(file, `${JSON.stringify({ command, measuredAt: new Date().toISOString(), results: merged }, null, 2)}\n`);
  await writeReport(merged, command);
  process.stdout.write(`${targetLines(results).join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
