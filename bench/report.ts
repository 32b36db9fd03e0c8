import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_CLONE, RESTORE_LOCAL, type CloneResult } from './local-clone.js';

export interface BenchResult {
  scale: number;
  databaseMb: number;
  rows: number;
  rounds: number;
  jobs: number;
  constraintsValid: boolean;
  /** False when the build measured could not encrypt yet: then replibyte ran without encryption. */
  encryption: boolean;
  medians: Record<string, number>;
  peakRssMb: Record<string, number>;
  samples: Record<string, number[]>;
  outputBytes: Record<string, number>;
  machine: { cpu: string; cores: number; memoryGb: number; loadAverage: string; node: string; postgres: string; pgDump: string; os: string };
  command: string;
  measuredAt: string;
}

const START = '<!-- bench:postgres:start (written by `npm run bench`; edit bench/report.ts instead) -->';
const END = '<!-- bench:postgres:end -->';
const HEADING = '## PostgreSQL dump and restore';

interface Ratios {
  dumpVsGzip: number;
  dumpVsFloor: number;
  restoreVsPsql: number;
  restoreVsPgRestore: number;
  sizeVsGzip: number;
  transformedVsUntouched: number;
  /** undefined for results measured before the subset run existed. */
  subsetVsFull: number | undefined;
  /** undefined for results measured before `dump create --scan` existed. */
  scanVsFull: number | undefined;
  /** undefined for results measured before `when:` existed. */
  whenVsWithout: number | undefined;
  rssMb: number;
}

/** The bench's name for the subset run (bench/run.ts). */
export const SUBSET_RUN = 'replibyte dump create, 10% subset';
/**
 * The residual scan's cost: a full dump whose every personal column is transformed (so the scan finds
 * nothing and the dump is stored), with and without `--scan` (bench/run.ts).
 */
export const SCAN_BASE = 'replibyte dump create, all personal columns transformed';
export const SCAN_RUN = `${SCAN_BASE}, --scan`;
/** The transformed table of the 1.5 target, and the same with a `when:` on one of its columns (bench/run.ts). */
export const TRANSFORMED_RUN = 'customers, 3 columns transformed';
export const WHEN_RUN = 'customers, 3 columns transformed, when: on one';

function ratios(r: BenchResult): Ratios {
  const m = r.medians;
  const pgRestore = Object.keys(m).find((k) => k.startsWith('pg_restore'))!;
  return {
    dumpVsGzip: m['replibyte dump create']! / m['pg_dump -Fp | gzip']!,
    dumpVsFloor: m['replibyte dump create']! / m['pg_dump -Fp > /dev/null']!,
    restoreVsPsql: m['replibyte dump restore remote']! / m['gunzip -c | psql']!,
    restoreVsPgRestore: m['replibyte dump restore remote']! / m[pgRestore]!,
    sizeVsGzip: r.outputBytes['replibyte dump create']! / r.outputBytes['pg_dump -Fp | gzip']!,
    transformedVsUntouched: m[TRANSFORMED_RUN]! / m['customers, untouched']!,
    subsetVsFull: m[SUBSET_RUN] === undefined ? undefined : m[SUBSET_RUN] / m['replibyte dump create']!,
    scanVsFull: m[SCAN_RUN] === undefined ? undefined : m[SCAN_RUN] / m[SCAN_BASE]!,
    whenVsWithout: m[WHEN_RUN] === undefined ? undefined : m[WHEN_RUN] / m[TRANSFORMED_RUN]!,
    rssMb: Math.max(r.peakRssMb['replibyte dump create'] ?? Number.NaN, r.peakRssMb['replibyte dump restore remote'] ?? Number.NaN),
  };
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const yes = (ok: boolean) => (ok ? 'holds' : 'misses');

function targetLines(results: BenchResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const x = ratios(r);
    lines.push(
      `scale ${r.scale} (${f(r.databaseMb, 0)} MB database, load average ${r.machine.loadAverage} at the end):`,
      `  dump create / pg_dump|gzip      = ${f(x.dumpVsGzip)}  (target ≤ 0.35: ${yes(x.dumpVsGzip <= 0.35)})`,
      `  dump create / pg_dump>/dev/null = ${f(x.dumpVsFloor)}  (target ≤ 1.5: ${yes(x.dumpVsFloor <= 1.5)})`,
      `  dump size / pg_dump|gzip size   = ${f(x.sizeVsGzip)}  (target ≤ 1: ${yes(x.sizeVsGzip <= 1)})`,
      `  restore / gunzip|psql           = ${f(x.restoreVsPsql)}  (target ≤ 0.75: ${yes(x.restoreVsPsql <= 0.75)})`,
      `  restore / pg_restore -j         = ${f(x.restoreVsPgRestore)}  (target < 1: ${yes(x.restoreVsPgRestore < 1)}); every constraint valid: ${r.constraintsValid}`,
      `  3 columns transformed / untouched (customers) = ${f(x.transformedVsUntouched)}  (target ≤ 1.5: ${yes(x.transformedVsUntouched <= 1.5)})`,
      ...(x.subsetVsFull === undefined ? [] : [`  10% subset (orders) / full dump = ${f(x.subsetVsFull)}  (target ≤ 0.4 at every scale, #18: ${yes(x.subsetVsFull <= 0.4)})`]),
      ...(x.scanVsFull === undefined ? [] : [`  dump create --scan / without     = ${f(x.scanVsFull)}  (target ≤ 1.15: ${yes(x.scanVsFull <= 1.15)})`]),
      ...(x.whenVsWithout === undefined ? [] : [`  when: on one column / without (customers) = ${f(x.whenVsWithout)}  (target ≤ 1.2: ${yes(x.whenVsWithout <= 1.2)})`]),
      `  peak RSS of replibyte           = ${f(x.rssMb, 0)} MB  (target ≤ 150: ${yes(x.rssMb <= 150)})`,
    );
  }
  const one = results.find((r) => r.scale === 1);
  const four = results.find((r) => r.scale === 4);
  if (one && four) {
    const growth = ratios(four).rssMb / ratios(one).rssMb;
    lines.push(`peak RSS scale 4 / scale 1 = ${f(growth)} (target ≤ 1.1: ${yes(growth <= 1.1)})`);
  }
  return lines;
}

function table(r: BenchResult): string {
  const rows = Object.keys(r.medians).map((name) => {
    const seconds = r.medians[name]!;
    const size = r.outputBytes[name];
    return `| ${name.replaceAll('|', '\\|')} | ${f(seconds)} | ${f(r.databaseMb / seconds, 0)} | ${f(r.peakRssMb[name] ?? Number.NaN, 0)} | ${size === undefined ? '' : f(size / 1e6, 1)} | ${r.samples[name]!.map((s) => f(s)).join(', ')} |`;
  });
  return ['| command | median s | database MB/s | peak RSS MB | output MB | every run (s) |', '|---|---:|---:|---:|---:|---|', ...rows].join('\n');
}

/** Throughput (database MB per second of median wall time) against scale, one line per command. */
function chart(results: BenchResult[]): string {
  const names = Object.keys(results[0]!.medians).filter((n) => !n.startsWith('customers'));
  const points = names.map((name) => results.map((r) => ({ x: r.scale, y: r.databaseMb / (r.medians[name] ?? Number.NaN) })));
  const width = 720;
  const height = 420;
  const pad = { left: 60, right: 250, top: 30, bottom: 50 };
  const xs = results.map((r) => r.scale);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMax = Math.max(1, ...points.flat().map((p) => p.y).filter(Number.isFinite)) * 1.1;
  const px = (x: number) => pad.left + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - (y / yMax) * (height - pad.top - pad.bottom);
  const colors = ['#d62728', '#1f77b4', '#7f7f7f', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left}" y="18" font-size="14">Throughput against scale (database MB / median s; higher is faster)</text>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="black"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="black"/>`,
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 12}" text-anchor="middle">scale (1 ≈ 1 GB database)</text>`,
  ];
  for (let i = 0; i <= 4; i += 1) {
    const y = (yMax * i) / 4;
    parts.push(`<text x="${pad.left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(0)}</text>`, `<line x1="${pad.left}" y1="${py(y)}" x2="${width - pad.right}" y2="${py(y)}" stroke="#ddd"/>`);
  }
  for (const x of xs) parts.push(`<text x="${px(x)}" y="${height - pad.bottom + 16}" text-anchor="middle">${x}</text>`);
  names.forEach((name, i) => {
    const color = colors[i % colors.length]!;
    const line = points[i]!.filter((p) => Number.isFinite(p.y));
    if (line.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of line) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="${color}"/>`);
    parts.push(`<rect x="${width - pad.right + 15}" y="${pad.top + i * 20}" width="12" height="12" fill="${color}"/>`, `<text x="${width - pad.right + 32}" y="${pad.top + i * 20 + 11}">${name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Rewrites this benchmark's section of docs/performance.md and its chart; returns the ratio lines. */
export async function writeReport(root: string, resultsDir: string): Promise<string[]> {
  const files = (await readdir(resultsDir)).filter((name) => /^postgres-scale-.*\.json$/.test(name));
  const results: BenchResult[] = [];
  for (const file of files) results.push(JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as BenchResult);
  results.sort((a, b) => a.scale - b.scale);
  if (results.length === 0) return [];
  const m = results.at(-1)!.machine;
  const section = [
    START,
    `Measured by \`npm run bench\` (bench/run.ts) on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; Node ${m.node},`,
    `PostgreSQL ${m.postgres} on the same machine, ${m.pgDump}. Each command ran ${results.at(-1)!.rounds} times, alternating`,
    'with the others (A B C A B C …); the table gives the median and every run. replibyte ran with zstd, encryption (unless a scale says otherwise) and',
    'transformers on 3 columns of 2 tables (customers, audit_log) into a local-disk datastore; restores went into an',
    'empty database. "database MB/s" is the database\'s size on disk over the median time. RSS is the peak of the',
    'largest process of the command (GNU time %M).',
    '',
    ...results.flatMap((r) => [
      `### Scale ${r.scale}: ${f(r.databaseMb, 0)} MB database, ${r.rows} rows, --jobs ${r.jobs}`,
      '',
      `\`${r.command}\`, ${r.measuredAt}, load average at the end ${r.machine.loadAverage}.${r.encryption ? '' : ' **replibyte ran without encryption: the build measured could not encrypt yet.**'}`,
      '',
      table(r),
      '',
      '```',
      ...targetLines([r]),
      '```',
      '',
    ]),
    '![Throughput against scale](performance-postgres.svg)',
    END,
  ].join('\n');
  const path = join(root, 'docs/performance.md');
  let doc = await readFile(path, 'utf8').catch(() => '# Performance\n');
  if (doc.includes(START) && doc.includes(END)) {
    doc = doc.slice(0, doc.indexOf(START)) + section + doc.slice(doc.indexOf(END) + END.length);
  } else if (doc.includes(HEADING)) {
    const at = doc.indexOf(HEADING) + HEADING.length;
    const next = doc.indexOf('\n## ', at);
    doc = `${doc.slice(0, at)}\n\n${section}\n${next === -1 ? '' : doc.slice(next)}`;
  } else {
    doc = `${doc.trimEnd()}\n\n${HEADING}\n\n${section}\n`;
  }
  await writeFile(path, doc);
  await writeFile(join(root, 'docs/performance-postgres.svg'), chart(results));
  return targetLines(results);
}

const CLONE_START = '<!-- bench:local-clone:start (written by `npm run bench`; edit bench/report.ts instead) -->';
const CLONE_END = '<!-- bench:local-clone:end -->';
const CLONE_HEADING = '## Local clones';

function cloneLines(r: CloneResult): string[] {
  const ratio = r.medians[LOCAL_CLONE]! / r.medians[RESTORE_LOCAL]!;
  return [
    `scale ${r.scale} (template ${f(r.templateMb, 0)} MB, load average ${r.machine.loadAverage} at the end):`,
    `  local clone / dump restore local = ${f(ratio, 3)}  (target ≤ 0.10: ${yes(ratio <= 0.1)})`,
  ];
}

/** Rewrites the "Local clones" section of docs/performance.md from bench/results/local-clone-scale-*.json. */
export async function writeCloneReport(root: string, resultsDir: string): Promise<string[]> {
  const files = (await readdir(resultsDir)).filter((name) => /^local-clone-scale-.*\.json$/.test(name));
  const results: CloneResult[] = [];
  for (const file of files) results.push(JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as CloneResult);
  results.sort((a, b) => a.scale - b.scale);
  if (results.length === 0) return [];
  const m = results.at(-1)!.machine;
  const section = [
    CLONE_START,
    `Measured by \`npm run bench\` (bench/local-clone.ts; \`-- --only clone\` runs it alone) on ${m.cpu}, ${m.cores} cores; Node ${m.node}.`,
    'Each round restores the bench dump with `dump restore local --detach` (an embedded PostgreSQL 15 started, the',
    'dump restored into the pristine template, the first clone made) and then runs `local clone` once; both through',
    'the CLI, start-up included; then the server is stopped and removed. The table gives the median and every run.',
    '',
    ...results.flatMap((r) => [
      `### Scale ${r.scale}: template ${f(r.templateMb, 0)} MB, ${r.rounds} rounds`,
      '',
      `\`${r.command}\`, ${r.measuredAt}, load average at the end ${r.machine.loadAverage}.`,
      '',
      '| command | median s | every run (s) |',
      '|---|---:|---|',
      ...Object.keys(r.medians).map((name) => `| ${name} | ${f(r.medians[name]!)} | ${r.samples[name]!.map((s) => f(s)).join(', ')} |`),
      '',
      '```',
      ...cloneLines(r),
      '```',
      '',
    ]),
    CLONE_END,
  ].join('\n');
  const path = join(root, 'docs/performance.md');
  let doc = await readFile(path, 'utf8').catch(() => '# Performance\n');
  if (doc.includes(CLONE_START) && doc.includes(CLONE_END)) {
    doc = doc.slice(0, doc.indexOf(CLONE_START)) + section + doc.slice(doc.indexOf(CLONE_END) + CLONE_END.length);
  } else {
    doc = `${doc.trimEnd()}\n\n${CLONE_HEADING}\n\n${section}\n`;
  }
  await writeFile(path, doc);
  return results.flatMap(cloneLines);
}
