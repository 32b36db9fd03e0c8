import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MysqlBenchResult {
  scale: number;
  databaseMb: number;
  rows: number;
  tables: number;
  indexes: number;
  foreignKeys: number;
  rounds: number;
  jobs: number | 'default';
  /** Every replibyte restore had the source's row counts, indexes, foreign keys and untouched values, and no orphan. */
  constraintsValid: boolean;
  problems: string[];
  medians: Record<string, number>;
  peakRssMb: Record<string, number>;
  samples: Record<string, number[]>;
  outputBytes: Record<string, number>;
  machine: { cpu: string; cores: number; loadAverageAtStart: string; loadAverage: string; node: string; server: string; dumpTool: string };
  command: string;
  measuredAt: string;
}

const START = '<!-- bench:mysql:start (written by `npm run bench -- --engine mysql`; edit bench/mysql-report.ts instead) -->';
const END = '<!-- bench:mysql:end -->';
const HEADING = '## MySQL / MariaDB dump and restore';

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const yes = (ok: boolean) => (ok ? 'holds' : 'misses');

/** The #18 targets: each ratio, its bound and whether it holds. */
export function mysqlTargetLines(r: MysqlBenchResult): string[] {
  const m = r.medians;
  const dump = m['replibyte dump create']! / m['mariadb-dump --single-transaction | gzip']!;
  const floor = m['replibyte dump create']! / m['mariadb-dump --single-transaction > /dev/null']!;
  const restore = m['replibyte dump restore remote']! / m['gunzip -c | mariadb']!;
  const restoreOne = m['replibyte dump restore remote --jobs 1']! / m['gunzip -c | mariadb']!;
  const size = r.outputBytes['replibyte dump create']! / r.outputBytes['mariadb-dump --single-transaction | gzip']!;
  const rss = Math.max(...Object.entries(r.peakRssMb).filter(([name]) => name.startsWith('replibyte')).map(([, mb]) => mb));
  return [
    `mysql scale ${r.scale} (${f(r.databaseMb, 0)} MB database, ${r.rows} rows; load average ${r.machine.loadAverageAtStart} at the start, ${r.machine.loadAverage} at the end):`,
    `  dump create / mariadb-dump|gzip        = ${f(dump)}  (target ≤ 0.5: ${yes(dump <= 0.5)})`,
    `  dump create / mariadb-dump>/dev/null   = ${f(floor)}`,
    `  dump size / mariadb-dump|gzip size     = ${f(size)}`,
    `  restore / gunzip|mariadb               = ${f(restore)}  (target ≤ 0.7: ${yes(restore <= 0.7)})`,
    `  restore --jobs 1 / gunzip|mariadb      = ${f(restoreOne)}`,
    `  every restore valid (rows, indexes, foreign keys, values, no orphan): ${r.constraintsValid}`,
    `  peak RSS of replibyte                  = ${f(rss, 0)} MB  (target ≤ 200: ${yes(rss <= 200)})`,
  ];
}

function table(r: MysqlBenchResult): string {
  const rows = Object.keys(r.medians).map((name) => {
    const seconds = r.medians[name]!;
    const size = r.outputBytes[name];
    return `| ${name.replaceAll('|', '\\|')} | ${f(seconds)} | ${f(r.databaseMb / seconds, 0)} | ${f(r.peakRssMb[name] ?? Number.NaN, 0)} | ${size === undefined ? '' : f(size / 1e6, 1)} | ${r.samples[name]!.map((s) => f(s)).join(', ')} |`;
  });
  return ['| command | median s | database MB/s | peak RSS MB | output MB | every run (s) |', '|---|---:|---:|---:|---:|---|', ...rows].join('\n');
}

/** Rewrites the MySQL section of docs/performance.md from bench/results/mysql-scale-*.json; returns the target lines. */
export async function writeMysqlReport(root: string, resultsDir: string): Promise<string[]> {
  const files = (await readdir(resultsDir)).filter((name) => /^mysql-scale-.*\.json$/.test(name));
  const results: MysqlBenchResult[] = [];
  for (const file of files) results.push(JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as MysqlBenchResult);
  results.sort((a, b) => a.scale - b.scale);
  if (results.length === 0) return [];
  const m = results.at(-1)!.machine;
  const section = [
    START,
    `Measured by \`npm run bench -- --engine mysql\` (bench/mysql.ts, the database from bench/mysql-generate.ts) on ${m.cpu}, ${m.cores} cores; Node ${m.node},`,
    `MariaDB ${m.server} on the same machine (its defaults: 128 MB buffer pool, a flush at every commit), ${m.dumpTool}.`,
    'Each command ran once a round, alternating with the others (A B C A B C …); the table gives the median and',
    'every run. replibyte ran with zstd, encryption and transformers on 3 columns of customers and 3 of audit_log into',
    'a local-disk datastore; every restore went into a database created empty just before it. "database MB/s" is the',
    "source's data and indexes (information_schema) over the median time. RSS is the peak of the largest process of",
    'the command (GNU time %M). After each replibyte restore the bench compares row counts, the number of indexes and',
    'foreign keys, and CHECKSUM TABLE of the untouched tables with the source, and counts the rows that break a key.',
    '',
    ...results.flatMap((r) => [
      `### Scale ${r.scale}: ${f(r.databaseMb, 0)} MB, ${r.tables} tables, ${r.rows} rows, ${r.indexes} indexes, ${r.foreignKeys} foreign keys; --jobs ${r.jobs}`,
      '',
      `\`${r.command}\`, ${r.measuredAt}, load average ${r.machine.loadAverageAtStart} at the start and ${r.machine.loadAverage} at the end.`,
      '',
      table(r),
      '',
      '```',
      ...mysqlTargetLines(r),
      ...r.problems.map((p) => `  NOT VALID: ${p}`),
      '```',
      '',
    ]),
    END,
  ].join('\n');
  const path = join(root, 'docs/performance.md');
  let doc = await readFile(path, 'utf8').catch(() => '# Performance\n');
  if (doc.includes(START) && doc.includes(END)) {
    doc = doc.slice(0, doc.indexOf(START)) + section + doc.slice(doc.indexOf(END) + END.length);
  } else if (doc.includes(HEADING)) {
    const at = doc.indexOf(HEADING) + HEADING.length;
    doc = `${doc.slice(0, at)}\n\n${section}\n${doc.slice(at)}`;
  } else {
    doc = `${doc.trimEnd()}\n\n${HEADING}\n\n${section}\n`;
  }
  await writeFile(path, doc);
  return results.flatMap(mysqlTargetLines);
}
