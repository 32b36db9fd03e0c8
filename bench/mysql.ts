/**
 * `npm run bench -- --engine mysql --scale 1`: replibyte's MySQL/MariaDB dump and restore against
 * `mariadb-dump --single-transaction | gzip` and `gunzip | mariadb` on the same generated database
 * (bench/mysql-generate.ts), A B A B over several rounds, medians and peak RSS. bench/run.ts calls it
 * and writes the "MySQL / MariaDB dump and restore" section of docs/performance.md (bench/mysql-report.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ensureMysqlBenchDatabase } from './mysql-generate.js';
import { measure, median, type Measurement } from './measure.js';
import type { MysqlBenchResult } from './mysql-report.js';

export const MYSQL_DUMP_RUN = 'replibyte dump create';
export const MYSQL_RESTORE_RUN = 'replibyte dump restore remote';
export const MYSQL_RESTORE_ONE = 'replibyte dump restore remote --jobs 1';
export const MARIADB_DUMP_GZIP = 'mariadb-dump --single-transaction | gzip';
export const MARIADB_DUMP_FLOOR = 'mariadb-dump --single-transaction > /dev/null';
export const GUNZIP_MARIADB = 'gunzip -c | mariadb';

export interface MysqlBenchArgs {
  scale: number;
  rounds: number;
  /** `--jobs` given to the bench: passed to both replibyte commands; undefined leaves each its default. */
  jobs: number | undefined;
  /** Admin URI of the server (root): the bench creates its two databases there. */
  adminUri: string;
  root: string;
  log: (line: string) => void;
}

const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const CLIENT = spawnSync('mariadb', ['--version']).status === 0 ? 'mariadb' : 'mysql';
const DUMPER = spawnSync('mariadb-dump', ['--version']).status === 0 ? 'mariadb-dump' : 'mysqldump';

function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The client tools' connection arguments for a database of the admin URI's server. */
function clientArgs(adminUri: string, database: string): string {
  const url = new URL(adminUri);
  const password = decodeURIComponent(url.password);
  return [`-h ${q(url.hostname)}`, `-P ${url.port || '3306'}`, `-u ${q(decodeURIComponent(url.username || 'root'))}`, ...(password ? [`-p${q(password)}`] : []), q(database)].join(' ');
}

async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Transformers on 3 columns of customers and 3 of audit_log, as the PostgreSQL bench has them. */
function configYaml(source: string, database: string, destination: string, store: string): string {
  return `encryption_key: bench-only-key-not-a-secret
salt: bench-salt
source:
  connection_uri: ${source}
  compression: zstd
  transformers:
    - database: ${database}
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: first_name, transformer_name: first-name }
        - { name: phone, transformer_name: redacted }
    - database: ${database}
      table: audit_log
      columns:
        - { name: actor_email, transformer_name: email }
        - { name: actor_name, transformer_name: first-name }
        - { name: ip, transformer_name: redacted }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination}
`;
}

interface Shape {
  rows: Record<string, number>;
  indexes: number;
  foreignKeys: number;
  /** CHECKSUM TABLE of the tables no transformer touches. */
  checksums: Record<string, string>;
}

const UNTOUCHED = ['products', 'orders', 'order_items', 'reviews'];

/** What a restore must reproduce: exact row counts, every index and foreign key, the untouched tables' values. */
async function shapeOf(connection: mysql.Connection, database: string): Promise<Shape> {
  const [tables] = await connection.query<mysql.RowDataPacket[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [database]);
  const rows: Record<string, number> = {};
  for (const { t } of tables) {
    const [[count]] = (await connection.query(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${t as string}\``)) as unknown as [[{ n: number }]];
    rows[t as string] = Number(count.n);
  }
  const [[indexes]] = (await connection.query('SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?', [database])) as unknown as [[{ n: number }]];
  const [[fks]] = (await connection.query('SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', [database])) as unknown as [[{ n: number }]];
  const checksums: Record<string, string> = {};
  for (const table of UNTOUCHED) {
    const [[sum]] = (await connection.query(`CHECKSUM TABLE \`${database}\`.\`${table}\``)) as unknown as [[{ Checksum: number | string }]];
    checksums[table] = String(sum.Checksum);
  }
  return { rows, indexes: Number(indexes.n), foreignKeys: Number(fks.n), checksums };
}

/** Rows that break a foreign key of the restored database (the restore loads with checks off). */
async function orphans(connection: mysql.Connection, database: string): Promise<number> {
  const [keys] = await connection.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent, COLUMN_NAME AS col, REFERENCED_COLUMN_NAME AS ref
     FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`,
    [database],
  );
  let total = 0;
  for (const key of keys) {
    const [[found]] = (await connection.query(
      `SELECT COUNT(*) AS n FROM \`${database}\`.\`${key.child as string}\` c LEFT JOIN \`${database}\`.\`${key.parent as string}\` p ON p.\`${key.ref as string}\` = c.\`${key.col as string}\`
       WHERE c.\`${key.col as string}\` IS NOT NULL AND p.\`${key.ref as string}\` IS NULL`,
    )) as unknown as [[{ n: number }]];
    total += Number(found.n);
  }
  return total;
}

function loadAverage(): string {
  try {
    return execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export async function runMysqlBench(args: MysqlBenchArgs): Promise<MysqlBenchResult> {
  const { scale, log } = args;
  const tag = String(scale).replace('.', '_');
  const sourceName = `replibyte_bench_mysql_s${tag}`;
  const targetName = `replibyte_bench_mysql_restore_s${tag}`;
  await ensureMysqlBenchDatabase(args.adminUri, sourceName, scale, log);
  const admin = await mysql.createConnection({ uri: args.adminUri });
  try {
    const recreate = async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${targetName}\``);
      await admin.query(`CREATE DATABASE \`${targetName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    };
    const [[size]] = (await admin.query('SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [sourceName])) as unknown as [[{ bytes: string }]];
    const expected = await shapeOf(admin, sourceName);
    const scratch = await mkdtemp(join(tmpdir(), 'replibyte-bench-mysql-'));
    const store = join(scratch, 'store');
    await mkdir(store);
    const config = join(scratch, 'conf.yaml');
    await writeFile(config, configYaml(withDatabase(args.adminUri, sourceName), sourceName, withDatabase(args.adminUri, targetName), store));
    const replibyte = `node ${q(join(args.root, 'bin/replibyte.js'))} -q -c ${q(config)}`;
    const jobs = args.jobs === undefined ? '' : ` --jobs ${args.jobs}`;
    const gz = join(scratch, 'dump.sql.gz');
    const dumps: Record<string, { before?: () => Promise<void>; command: string }> = {
      [MYSQL_DUMP_RUN]: { before: () => rm(join(store, 'bench'), { recursive: true, force: true }), command: `${replibyte} dump create -n bench${jobs}` },
      [MARIADB_DUMP_GZIP]: { command: `${DUMPER} --single-transaction ${clientArgs(args.adminUri, sourceName)} | gzip > ${q(gz)}` },
      [MARIADB_DUMP_FLOOR]: { command: `${DUMPER} --single-transaction ${clientArgs(args.adminUri, sourceName)} > /dev/null` },
    };
    const restores: Record<string, string> = {
      [MYSQL_RESTORE_RUN]: `${replibyte} dump restore remote -v bench${jobs}`,
      [GUNZIP_MARIADB]: `gunzip -c ${q(gz)} | ${CLIENT} ${clientArgs(args.adminUri, targetName)}`,
      [MYSQL_RESTORE_ONE]: `${replibyte} dump restore remote -v bench --jobs 1`,
    };
    const runs: Record<string, Measurement[]> = {};
    const record = (name: string, m: Measurement) => {
      (runs[name] ??= []).push(m);
      log(`  ${name}: ${m.seconds.toFixed(2)} s${m.peakRssMb === undefined ? '' : `, peak RSS ${m.peakRssMb.toFixed(0)} MB`} (load ${loadAverage()})`);
    };
    const loadAtStart = loadAverage();
    for (let round = 1; round <= args.rounds; round += 1) {
      log(`mysql scale ${scale}, dump round ${round}/${args.rounds}`);
      for (const [name, { before, command }] of Object.entries(dumps)) {
        await before?.();
        record(name, await measure(command, scratch));
      }
    }
    const problems: string[] = [];
    for (let round = 1; round <= args.rounds; round += 1) {
      log(`mysql scale ${scale}, restore round ${round}/${args.rounds}`);
      for (const [name, command] of Object.entries(restores)) {
        await recreate();
        record(name, await measure(command, scratch));
        if (!name.startsWith('replibyte')) continue;
        const got = await shapeOf(admin, targetName);
        const broken = await orphans(admin, targetName);
        const same = JSON.stringify(got) === JSON.stringify(expected);
        if (!same) problems.push(`${name}, round ${round}: restored ${JSON.stringify(got)}, source ${JSON.stringify(expected)}`);
        if (broken > 0) problems.push(`${name}, round ${round}: ${broken} rows break a foreign key`);
      }
    }
    for (const problem of problems) log(`  NOT VALID: ${problem}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${targetName}\``);
    const outputBytes = { [MYSQL_DUMP_RUN]: await dirBytes(join(store, 'bench')), [MARIADB_DUMP_GZIP]: (await stat(gz)).size };
    await rm(scratch, { recursive: true, force: true });
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    return {
      scale,
      databaseMb: Number(size.bytes) / 1e6,
      rows: Object.values(expected.rows).reduce((a, b) => a + b, 0),
      tables: Object.keys(expected.rows).length,
      indexes: expected.indexes,
      foreignKeys: expected.foreignKeys,
      rounds: args.rounds,
      jobs: args.jobs ?? 'default',
      constraintsValid: problems.length === 0,
      problems,
      medians: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list.map((m) => m.seconds))])),
      peakRssMb: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, Math.max(...list.map((m) => m.peakRssMb ?? Number.NaN))])),
      samples: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((m) => Number(m.seconds.toFixed(3)))])),
      outputBytes,
      machine: {
        cpu: /model name\s*:\s*(.*)/.exec(execFileSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }))?.[1]?.trim() ?? 'unknown',
        cores: availableParallelism(),
        loadAverageAtStart: loadAtStart,
        loadAverage: loadAverage(),
        node: process.version,
        server: version.v,
        dumpTool: spawnSync(DUMPER, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      },
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      measuredAt: new Date().toISOString(),
    };
  } finally {
    await admin.end();
  }
}
