/**
 * `replibyte dump create` of a MySQL/MariaDB database against `mariadb-dump | gzip`, on the same data:
 * the median of 3 alternating runs each, and their ratio. Needs the server on 127.0.0.1:3306 (root) and
 * a built dist/ (`npm run build`). Run: npx tsx bench/mysql.ts [rows]   (~1 KB per row; default 100000)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';

const ROWS = Number(process.argv[2] ?? 100_000);
const CLI = fileURLToPath(new URL('../bin/replibyte.js', import.meta.url));
const CLIENT_DUMP = spawnSync('mariadb-dump', ['--version']).status === 0 ? 'mariadb-dump' : 'mysqldump';
const database = `rbt_bench_${Date.now()}`;

function run(command: string, args: string[], shell = false): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = shell ? spawn(command, { shell: true, stdio: ['ignore', 'ignore', 'inherit'] }) : spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`${command} exited with ${code}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root', multipleStatements: true });
const dir = await mkdtemp(join(tmpdir(), 'replibyte-bench-'));
try {
  await admin.query(`CREATE DATABASE ${database}; USE ${database};
    CREATE TABLE orders (id int PRIMARY KEY, customer_email varchar(80), amount decimal(12,2), created_at datetime(6), notes text, payload blob) ENGINE=InnoDB;
    INSERT INTO orders SELECT seq, CONCAT('user', seq, '@example.com'), seq / 100, '2024-01-01' + INTERVAL seq SECOND,
      REPEAT(MD5(seq), 28), UNHEX(MD5(seq)) FROM seq_1_to_${ROWS};
    ANALYZE TABLE orders`);
  const [[size]] = (await admin.query(`SELECT SUM(data_length) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, [database])) as unknown as [[{ bytes: string }]];
  const config = join(dir, 'conf.yaml');
  await writeFile(config, `salt: bench
source:
  connection_uri: mysql://root@127.0.0.1:3306/${database}
  transformers:
    - database: ${database}
      table: orders
      columns:
        - { name: customer_email, transformer_name: email }
datastore:
  local_disk:
    dir: ${join(dir, 'store')}
`);
  await mkdir(join(dir, 'store'));
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    ours.push(await run(process.execPath, [CLI, '-q', '-c', config, 'dump', 'create', '-n', `run-${i}`]));
    theirs.push(await run(`${CLIENT_DUMP} -h 127.0.0.1 -u root --single-transaction ${database} | gzip > ${join(dir, `dump-${i}.sql.gz`)}`, [], true));
  }
  const ratio = median(ours) / median(theirs);
  console.log(`rows: ${ROWS}, table size on the server: ${(Number(size.bytes) / 1e6).toFixed(0)} MB`);
  console.log(`replibyte dump create (zstd, 1 column transformed): ${ours.map((s) => s.toFixed(1)).join(' / ')} s, median ${median(ours).toFixed(1)} s`);
  console.log(`${CLIENT_DUMP} | gzip:                              ${theirs.map((s) => s.toFixed(1)).join(' / ')} s, median ${median(theirs).toFixed(1)} s`);
  console.log(`ratio (replibyte / ${CLIENT_DUMP} | gzip): ${ratio.toFixed(2)}`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
}
