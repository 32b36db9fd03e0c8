/**
 * `npm run bench -- --scale 1`: replibyte's PostgreSQL dump and restore against pg_dump / psql /
 * pg_restore on the same generated database, A B A B over several rounds, medians and peak RSS.
 * Writes bench/results/postgres-scale-<N>.json, the "PostgreSQL dump and restore" section of
 * docs/performance.md and docs/performance-postgres.svg, and prints the ratios last.
 * Every figure it prints or writes is one it measured in this run (or, for the chart and table over
 * several scales, in an earlier run whose JSON is in bench/results/).
 * `--engine mysql` runs the MySQL/MariaDB bench instead (bench/mysql.ts): bench/results/mysql-scale-<N>.json
 * and the "MySQL / MariaDB dump and restore" section.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { ensureBenchDatabase, withDatabase } from './generate.js';
import { measure, median, type Measurement } from './measure.js';
import { cloneResult, measureLocalClones, type CloneResult } from './local-clone.js';
import { runMysqlBench } from './mysql.js';
import { writeMysqlReport } from './mysql-report.js';
import { SCAN_BASE, SCAN_RUN, SUBSET_RUN, TRANSFORMED_RUN, WHEN_RUN, writeCloneReport, writeReport, type BenchResult } from './report.js';

const ROOT = resolve(import.meta.dirname, '..');

interface Args {
  scales: number[];
  rounds: number;
  jobs: number;
  pg: string;
  /**
   * `--only clone`: the local clone against its restore, nothing else (one dump made first, unmeasured).
   * `--only when`: the transformed customers with and without a `when:` on one column, nothing else (printed, not stored).
   * `--only scan`: the full dump of every flagged column transformed, with and without `--scan` (printed, not stored).
   * `--only restore`: the restores alone, alternated: `--jobs 1` against `gunzip | psql`, `--jobs J` against
   * `pg_restore -j J` (the dumps made once, unmeasured; printed, not stored).
   */
  only?: 'clone' | 'when' | 'scan' | 'restore';
  engine: 'postgres' | 'mysql';
  /** The MySQL/MariaDB server's admin URI (`--mysql`, BENCH_MYSQL). */
  mysql: string;
  /** True when --jobs was given (the MySQL bench then passes it; otherwise each command keeps its default). */
  jobsGiven: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    scales: [1],
    rounds: 3,
    jobs: availableParallelism(),
    pg: process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    engine: 'postgres',
    mysql: process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/mysql',
    jobsGiven: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--scale':
        args.scales = value!.split(',').map(Number);
        i += 1;
        break;
      case '--rounds':
        args.rounds = Number(value);
        i += 1;
        break;
      case '--jobs':
        args.jobs = Number(value);
        args.jobsGiven = true;
        i += 1;
        break;
      case '--engine':
        if (value !== 'postgres' && value !== 'mysql') throw new Error(`--engine takes postgres or mysql, not ${value}`);
        args.engine = value;
        i += 1;
        break;
      case '--mysql':
        args.mysql = value!;
        i += 1;
        break;
      case '--pg':
        args.pg = value!;
        i += 1;
        break;
      case '--only':
        if (value !== 'clone' && value !== 'when' && value !== 'scan' && value !== 'restore') throw new Error(`--only takes clone, when, scan or restore, not ${value}`);
        args.only = value;
        i += 1;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]} (use --scale N[,M…] --rounds R --jobs J --pg URI [--only clone|when|scan|restore] [--engine mysql --mysql URI])`);
    }
  }
  if (args.scales.some((s) => !(s > 0)) || !(args.rounds >= 1) || !(args.jobs >= 1)) throw new Error('--scale, --rounds and --jobs take positive numbers');
  return args;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function sql<T extends pg.QueryResultRow>(uri: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function recreate(adminUri: string, name: string): Promise<void> {
  await sql(adminUri, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await sql(adminUri, `CREATE DATABASE ${name}`);
}

/**
 * The subset run: 10% of orders (seeded), their items (children), and every customer and product they
 * reference; audit_log and events are not reached and keep their schema only (README, "Subset").
 */
const SUBSET = `
  database_subset:
    database: public
    table: orders
    strategy_name: random
    strategy_options: { percent: 10, seed: 2024 }
    include_children: { enabled: true, limit_per_parent: 100 }`;

function configYaml(source: string, destination: string, store: string, tables: 'all' | 'private' | 'subset' | 'customers-transformed' | 'customers-when' | 'customers-untouched', encryption: boolean): string {
  if (tables === 'customers-when') {
    // The same three transformers, the email behind a condition that reads two other columns (true on most rows).
    return configYaml(source, destination, store, 'customers-transformed', encryption).replace(
      '        - { name: email, transformer_name: email }',
      `        - { name: email, transformer_name: email, when: "created_at >= '2015-03-01' and last_name not like 'A%'" }`,
    );
  }
  if (tables === 'private') {
    // Every column the residual scan would flag is transformed, so `--scan` stores the dump.
    return configYaml(source, destination, store, 'all', encryption).replace(
      '        - { name: phone, transformer_name: redacted }',
      '        - { name: phone, transformer_name: redacted }\n        - { name: last_name, transformer_name: last-name }\n        - { name: address, transformer_name: address }\n' +
        // events.c13 and c19 hold 21 and 27 random hex characters: the scan rightly takes them for tokens.
        '    - { database: public, table: events, columns: [ { name: c13, transformer_name: hash }, { name: c19, transformer_name: hash } ] }',
    );
  }
  const transformers = `
  transformers:
    - database: public
      table: customers
      columns:
        - { name: email, transformer_name: email }
        - { name: first_name, transformer_name: first-name }
        - { name: phone, transformer_name: redacted }${tables === 'all' || tables === 'subset' ? `
    - database: public
      table: audit_log
      columns:
        - { name: actor_email, transformer_name: email }
        - { name: actor_name, transformer_name: first-name }
        - { name: ip, transformer_name: redacted }` : ''}`;
  return `${encryption ? 'encryption_key: bench-only-key-not-a-secret\n' : ''}salt: bench-salt
source:
  connection_uri: ${source}
  compression: zstd${tables === 'subset' ? SUBSET : ''}${tables === 'customers-untouched' ? '' : transformers}${tables === 'all' || tables === 'subset' ? '' : `
  only_tables:
    - { database: public, table: customers }`}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination}
`;
}

function replibyte_(root: string): string {
  return `node ${q(join(root, 'bin/replibyte.js'))} -q`;
}

async function runClones(args: Args, scale: number, config: string, scratch: string): Promise<CloneResult> {
  const { runs, templateMb } = await measureLocalClones({ cli: join(ROOT, 'bin/replibyte.js'), config, dump: 'bench', scratch, rounds: args.rounds, log });
  const m = machine(args.pg);
  return cloneResult(scale, args.rounds, runs, templateMb, { cpu: m.cpu, cores: m.cores, loadAverage: m.loadAverage, node: m.node });
}

async function runScale(args: Args, scale: number): Promise<{ result?: BenchResult; clone?: CloneResult }> {
  const tag = String(scale).replace('.', '_');
  const sourceName = `replibyte_bench_s${tag}`;
  const targetName = `replibyte_bench_restore_s${tag}`;
  const sourceUri = withDatabase(args.pg, sourceName);
  const targetUri = withDatabase(args.pg, targetName);
  await ensureBenchDatabase(args.pg, sourceName, scale, log);
  const bytes = (await sql<{ bytes: string }>(sourceUri, 'SELECT pg_database_size(current_database())::text AS bytes'))[0]!.bytes;
  const databaseMb = Number(bytes) / 1e6;
  const scratch = await mkdtemp(join(tmpdir(), 'replibyte-bench-'));
  const store = join(scratch, 'store');
  await mkdir(store);
  const confAll = join(scratch, 'all.yaml');
  const confT = join(scratch, 'customers-t.yaml');
  const confU = join(scratch, 'customers-u.yaml');
  const confW = join(scratch, 'customers-w.yaml');
  const confS = join(scratch, 'subset.yaml');
  const confP = join(scratch, 'private.yaml');
  const writeConfigs = async (encryption: boolean) => {
    await writeFile(confAll, configYaml(sourceUri, targetUri, store, 'all', encryption));
    await writeFile(confT, configYaml(sourceUri, targetUri, join(scratch, 'store-t'), 'customers-transformed', encryption));
    await writeFile(confU, configYaml(sourceUri, targetUri, join(scratch, 'store-u'), 'customers-untouched', encryption));
    await writeFile(confW, configYaml(sourceUri, targetUri, join(scratch, 'store-w'), 'customers-when', encryption));
    await writeFile(confS, configYaml(sourceUri, targetUri, join(scratch, 'store-s'), 'subset', encryption));
    await writeFile(confP, configYaml(sourceUri, targetUri, join(scratch, 'store-p'), 'private', encryption));
  };
  let encryption = true;
  await writeConfigs(true);
  await mkdir(join(scratch, 'store-u'));
  // A build without encryption yet says so: measure without it and say so in the report, never hide it.
  const probe = await measure(`${replibyte_(ROOT)} -c ${q(confU)} dump create -n probe --jobs 1`, scratch).then(
    () => undefined,
    (error: Error) => error.message,
  );
  if (probe?.includes('cannot encrypt')) {
    log('this build cannot encrypt dumps yet: measuring replibyte WITHOUT encryption (the report says so)');
    encryption = false;
    await writeConfigs(false);
  } else if (probe) {
    throw new Error(probe);
  }
  await rm(join(scratch, 'store-u'), { recursive: true, force: true });
  const replibyte = replibyte_(ROOT);
  const gz = join(scratch, 'dump.sql.gz');
  const dir = join(scratch, 'dump.dir');

  const dumpCommands: Record<string, { before?: () => Promise<void>; command: string }> = {
    'replibyte dump create': {
      before: () => rm(join(store, 'bench'), { recursive: true, force: true }),
      command: `${replibyte} -c ${q(confAll)} dump create -n bench --jobs ${args.jobs}`,
    },
    [SCAN_BASE]: {
      before: () => rm(join(scratch, 'store-p'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-p'))),
      command: `${replibyte} -c ${q(confP)} dump create -n p --jobs ${args.jobs}`,
    },
    [SCAN_RUN]: {
      before: () => rm(join(scratch, 'store-p'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-p'))),
      command: `${replibyte} -c ${q(confP)} dump create -n p --scan --jobs ${args.jobs}`,
    },
    [SUBSET_RUN]: {
      before: () => rm(join(scratch, 'store-s'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-s'))),
      command: `${replibyte} -c ${q(confS)} dump create -n s --jobs ${args.jobs}`,
    },
    'pg_dump -Fp | gzip': { command: `pg_dump -Fp -d ${q(sourceUri)} | gzip > ${q(gz)}` },
    'pg_dump -Fp > /dev/null': { command: `pg_dump -Fp -d ${q(sourceUri)} > /dev/null` },
    [`pg_dump -Fd -j ${args.jobs}`]: {
      before: () => rm(dir, { recursive: true, force: true }),
      command: `pg_dump -Fd -j ${args.jobs} -d ${q(sourceUri)} -f ${q(dir)}`,
    },
    [TRANSFORMED_RUN]: {
      before: () => rm(join(scratch, 'store-t'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-t'))),
      command: `${replibyte} -c ${q(confT)} dump create -n t --jobs ${args.jobs}`,
    },
    [WHEN_RUN]: {
      before: () => rm(join(scratch, 'store-w'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-w'))),
      command: `${replibyte} -c ${q(confW)} dump create -n w --jobs ${args.jobs}`,
    },
    'customers, untouched': {
      before: () => rm(join(scratch, 'store-u'), { recursive: true, force: true }).then(() => mkdir(join(scratch, 'store-u'))),
      command: `${replibyte} -c ${q(confU)} dump create -n u --jobs ${args.jobs}`,
    },
  };
  const restoreCommands: Record<string, string> = {
    'replibyte dump restore remote': `${replibyte} -c ${q(confAll)} dump restore remote -v bench --jobs ${args.jobs}`,
    'gunzip -c | psql': `gunzip -c ${q(gz)} | psql -X -q -v ON_ERROR_STOP=1 -d ${q(targetUri)} > /dev/null`,
    [`pg_restore -j ${args.jobs}`]: `pg_restore -j ${args.jobs} -d ${q(targetUri)} ${q(dir)}`,
  };

  if (args.only === 'clone') {
    await dumpCommands['replibyte dump create']!.before?.();
    await measure(dumpCommands['replibyte dump create']!.command, scratch);
    const clone = await runClones(args, scale, confAll, scratch);
    await rm(scratch, { recursive: true, force: true });
    return { clone };
  }

  // A pair alternated round after round, the ratio of their medians printed against its target.
  const onlyPairs = { when: { base: TRANSFORMED_RUN, run: WHEN_RUN, target: 1.2 }, scan: { base: SCAN_BASE, run: SCAN_RUN, target: 1.15 } };
  if (args.only === 'when' || args.only === 'scan') {
    const { base, run, target } = onlyPairs[args.only];
    const seconds: Record<string, number[]> = {};
    for (let round = 1; round <= args.rounds; round += 1) {
      for (const name of [base, run]) {
        await dumpCommands[name]!.before?.();
        const m = await measure(dumpCommands[name]!.command, scratch);
        (seconds[name] ??= []).push(m.seconds);
        log(`  round ${round}, ${name}: ${m.seconds.toFixed(2)} s`);
      }
    }
    await rm(scratch, { recursive: true, force: true });
    const ratio = median(seconds[run]!) / median(seconds[base]!);
    log(`scale ${scale}: ${run} / ${base} = ${ratio.toFixed(2)} (target ≤ ${target}: ${ratio <= target ? 'holds' : 'misses'}); medians ${median(seconds[run]!).toFixed(2)} s / ${median(seconds[base]!).toFixed(2)} s over ${args.rounds} rounds`);
    return {};
  }

  if (args.only === 'restore') {
    await runRestoresOnly(args, scale, { sourceUri, targetUri, targetName, scratch, dumpCommands, restoreCommands, replibyte, confAll });
    await rm(scratch, { recursive: true, force: true });
    return {};
  }

  const runs: Record<string, Measurement[]> = {};
  const record = (name: string, m: Measurement) => {
    (runs[name] ??= []).push(m);
    log(`  ${name}: ${m.seconds.toFixed(2)} s${m.peakRssMb === undefined ? '' : `, peak RSS ${m.peakRssMb.toFixed(0)} MB`}`);
  };
  for (let round = 1; round <= args.rounds; round += 1) {
    log(`scale ${scale}, dump round ${round}/${args.rounds}`);
    for (const [name, { before, command }] of Object.entries(dumpCommands)) {
      await before?.();
      record(name, await measure(command, scratch));
    }
  }
  const expectedRows = await sql<{ n: string }>(sourceUri, "SELECT sum(n_live_tup)::text AS n FROM pg_stat_user_tables");
  let constraintsValid = true;
  for (let round = 1; round <= args.rounds; round += 1) {
    log(`scale ${scale}, restore round ${round}/${args.rounds}`);
    for (const [name, command] of Object.entries(restoreCommands)) {
      await recreate(args.pg, targetName);
      record(name, await measure(command, scratch));
      if (name.startsWith('replibyte') && !(await everyConstraintValid(targetUri))) constraintsValid = false;
    }
  }
  await sql(args.pg, `DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`);
  const clone = await runClones(args, scale, confAll, scratch);
  const sizes = { 'replibyte dump create': await dirBytes(join(store, 'bench')), 'pg_dump -Fp | gzip': (await stat(gz)).size, [`pg_dump -Fd -j ${args.jobs}`]: await dirBytes(dir) };
  await rm(scratch, { recursive: true, force: true });
  const result: BenchResult = {
    scale,
    databaseMb,
    rows: Number(expectedRows[0]!.n),
    rounds: args.rounds,
    jobs: args.jobs,
    constraintsValid,
    encryption,
    medians: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list.map((m) => m.seconds))])),
    peakRssMb: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, Math.max(...list.map((m) => m.peakRssMb ?? Number.NaN))])),
    samples: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((m) => Number(m.seconds.toFixed(3)))])),
    outputBytes: sizes,
    machine: machine(args.pg),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    measuredAt: new Date().toISOString(),
  };
  return { result, clone };
}

/** After a replibyte restore: no constraint left NOT VALID, and the bench schema's five foreign keys there. */
async function everyConstraintValid(targetUri: string): Promise<boolean> {
  const notValid = await sql<{ n: string }>(targetUri, 'SELECT count(*)::text AS n FROM pg_constraint WHERE NOT convalidated');
  const fks = await sql<{ n: string }>(targetUri, "SELECT count(*)::text AS n FROM pg_constraint WHERE contype = 'f'");
  return notValid[0]!.n === '0' && fks[0]!.n === '5';
}

/**
 * `--only restore`: the dumps made once (unmeasured), then round after round the one-transaction restore
 * (`--jobs 1`, the default), `gunzip | psql`, `--jobs J` and `pg_restore -j J`, each into a new empty
 * database; the ratios of the medians against #18's targets. Printed, not stored.
 */
async function runRestoresOnly(
  args: Args,
  scale: number,
  bench: {
    sourceUri: string;
    targetUri: string;
    targetName: string;
    scratch: string;
    dumpCommands: Record<string, { before?: () => Promise<void>; command: string }>;
    restoreCommands: Record<string, string>;
    replibyte: string;
    confAll: string;
  },
): Promise<void> {
  for (const name of ['replibyte dump create', 'pg_dump -Fp | gzip', `pg_dump -Fd -j ${args.jobs}`]) {
    log(`making the dump once: ${name}`);
    await bench.dumpCommands[name]!.before?.();
    await measure(bench.dumpCommands[name]!.command, bench.scratch);
  }
  const single = 'replibyte dump restore remote --jobs 1';
  const parallel = `replibyte dump restore remote --jobs ${args.jobs}`;
  const pgRestore = `pg_restore -j ${args.jobs}`;
  const commands: Record<string, string> = {
    [single]: `${bench.replibyte} -c ${q(bench.confAll)} dump restore remote -v bench --jobs 1`,
    'gunzip -c | psql': bench.restoreCommands['gunzip -c | psql']!,
    [parallel]: `${bench.replibyte} -c ${q(bench.confAll)} dump restore remote -v bench --jobs ${args.jobs}`,
    [pgRestore]: bench.restoreCommands[pgRestore]!,
  };
  const seconds: Record<string, number[]> = {};
  let constraintsValid = true;
  for (let round = 1; round <= args.rounds; round += 1) {
    for (const [name, command] of Object.entries(commands)) {
      await recreate(args.pg, bench.targetName);
      const m = await measure(command, bench.scratch);
      (seconds[name] ??= []).push(m.seconds);
      if (name.startsWith('replibyte') && !(await everyConstraintValid(bench.targetUri))) constraintsValid = false;
      log(`  round ${round}, ${name}: ${m.seconds.toFixed(2)} s (load average ${machine(args.pg).loadAverage})`);
    }
  }
  await sql(args.pg, `DROP DATABASE IF EXISTS ${bench.targetName} WITH (FORCE)`);
  const at = (name: string) => median(seconds[name]!);
  const line = (run: string, base: string, target: number) => {
    const ratio = at(run) / at(base);
    return `  ${run} / ${base} = ${ratio.toFixed(2)}  (target ≤ ${target}: ${ratio <= target ? 'holds' : 'misses'}); medians ${at(run).toFixed(2)} s / ${at(base).toFixed(2)} s`;
  };
  log(
    [
      `scale ${scale}, ${args.rounds} round(s), load average at the end ${machine(args.pg).loadAverage}:`,
      line(single, 'gunzip -c | psql', 0.75),
      line(parallel, pgRestore, 0.9),
      `  every constraint valid after each replibyte restore: ${constraintsValid}`,
      ...Object.entries(seconds).map(([name, list]) => `  ${name}: ${list.map((s) => s.toFixed(2)).join(', ')}`),
    ].join('\n'),
  );
}

function machine(adminUri: string): BenchResult['machine'] {
  const cpu = (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(execFileSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }))?.[1]?.trim() ?? 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  const load = (() => {
    try {
      return execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
    } catch {
      return 'unknown';
    }
  })();
  const server = spawnSync('psql', ['-X', '-At', '-d', adminUri, '-c', 'SHOW server_version'], { encoding: 'utf8' }).stdout.trim();
  return {
    cpu,
    cores: availableParallelism(),
    memoryGb: Number((Number(execFileSync('awk', ['/MemTotal/ {print $2}', '/proc/meminfo'], { encoding: 'utf8' })) / 1048576).toFixed(1)),
    loadAverage: load,
    node: process.version,
    postgres: server,
    pgDump: spawnSync('pg_dump', ['--version'], { encoding: 'utf8' }).stdout.trim(),
    os: execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim(),
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--report-only') {
    // Rewrites docs/performance.md and the chart from the JSON results already in bench/results/.
    const lines = [
      ...(await writeReport(ROOT, join(ROOT, 'bench/results'))),
      ...(await writeCloneReport(ROOT, join(ROOT, 'bench/results'))),
      ...(await writeMysqlReport(ROOT, join(ROOT, 'bench/results'))),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  log('building dist/ (tsup) so the CLI runs the current code');
  execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const resultsDir = join(ROOT, 'bench/results');
  await mkdir(resultsDir, { recursive: true });
  if (args.engine === 'mysql') {
    if (args.only) throw new Error('--only is for the PostgreSQL bench');
    for (const scale of args.scales) {
      const result = await runMysqlBench({ scale, rounds: args.rounds, jobs: args.jobsGiven ? args.jobs : undefined, adminUri: args.mysql, root: ROOT, log });
      await writeFile(join(resultsDir, `mysql-scale-${scale}.json`), `${JSON.stringify(result, null, 2)}\n`);
    }
    process.stdout.write(`${(await writeMysqlReport(ROOT, resultsDir)).join('\n')}\n`);
    return;
  }
  for (const scale of args.scales) {
    const { result, clone } = await runScale(args, scale);
    if (result) await writeFile(join(resultsDir, `postgres-scale-${scale}.json`), `${JSON.stringify(result, null, 2)}\n`);
    if (clone) await writeFile(join(resultsDir, `local-clone-scale-${scale}.json`), `${JSON.stringify(clone, null, 2)}\n`);
  }
  const lines = [...(args.only ? [] : await writeReport(ROOT, resultsDir)), ...(await writeCloneReport(ROOT, resultsDir))];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
