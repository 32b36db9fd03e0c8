import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { verifyDump, type VerifyReport } from '../../operations/dump-verify.js';
import { describeFinding } from '../../scan/residual-scan.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { formatBytes, formatTable } from '../../reporting/format.js';

/** The same words for every command that reads a dump. */
export const ALLOW_UNENCRYPTED_HELP =
  'with encryption_key in the config, read a dump the key does not protect (unencrypted, or in the original Replibyte format) anyway; anyone who can write to the datastore can forge one';

/** `dump verify -v NAME|latest`: the report on stdout; a fault is an error (exit 1) naming chunk and offset. */
export function registerVerifyCommand(dump: Command, globals: () => GlobalOptions): void {
  dump
    .command('verify')
    .description('read a whole dump back (decrypt, decompress, parse) without a database, and report it or its first fault')
    .requiredOption('-v, --value <name>', 'dump to verify: latest or a dump name')
    .option('--json', 'print the report as JSON')
    .option('--scan', 'also run the residual scan: look for personal-looking values left in the stored rows (exit 1 when any is found)')
    .option('--sample <rows>', 'with --scan: scan only the first N rows of each table part instead of every row')
    .option('--allow-unencrypted', ALLOW_UNENCRYPTED_HELP)
    .action(async (options: { value: string; json?: boolean; scan?: boolean; sample?: string; allowUnencrypted?: boolean }) => {
      const config = await requireConfig(globals());
      if (options.sample !== undefined && !options.scan) throw new ReplibyteError('--sample goes with --scan');
      const sample = options.sample === undefined ? undefined : parseSample(options.sample);
      const report = await verifyDump(config, {
        value: options.value,
        allowUnencrypted: options.allowUnencrypted ?? false,
        ...(options.scan && { scan: sample === undefined ? {} : { sample } }),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const rows = report.parts.map((part) => [part.label, part.kind === 'table-data' ? String(part.rows) : part.kind === 'large-objects' ? `${part.rows} large objects` : `${part.statements} statements`, formatBytes(part.bytes)]);
        const state = report.fault ? 'FAULT' : 'OK';
        process.stdout.write(
          `dump ${report.name} (${report.format}${report.encrypted ? ', encrypted' : ''}): ${state}\n` +
            `${report.tables} tables, ${report.rows} rows, ${report.bytes} bytes (${report.storedBytes} stored in ${report.chunks} chunks)\n` +
            (rows.length > 0 ? `${formatTable(['part', 'rows', 'bytes'], rows)}\n` : ''),
        );
        if (report.scan) process.stdout.write(scanText(report.scan));
      }
      if (report.fault) {
        const place = report.fault.chunk && !report.fault.message.includes(report.fault.chunk) ? ` [chunk ${report.fault.chunk}${report.fault.offset !== undefined ? `, offset ${report.fault.offset}` : ''}]` : '';
        throw new ReplibyteError(`dump ${report.name} is damaged: ${report.fault.message}${place}`);
      }
      const findings = report.scan?.findings ?? [];
      if (findings.length > 0) {
        const columns = new Set(findings.map((f) => `${f.schema}.${f.table}.${f.column}`)).size;
        throw new ReplibyteError(`residual scan: personal-looking values remain in ${columns} column(s) of dump ${report.name}`, 'transform those columns (or declare them safe) and create the dump again');
      }
    });
}

function parseSample(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ReplibyteError(`--sample takes a whole number of rows (1 or more), not '${text}'`);
  return Number(text);
}

/** The residual scan's report: each table with the rows scanned, then each finding (never a value). */
function scanText(scan: NonNullable<VerifyReport['scan']>): string {
  const rows = scan.tables.map((t) => [[t.schema, t.table].filter(Boolean).join('.'), String(t.rowsScanned), t.findings === 0 ? 'clean' : `${t.findings} finding(s)`]);
  const head = `residual scan (${scan.mode === 'all' ? 'every row' : 'sampled rows'}): ${scan.rowsScanned} rows scanned, ${scan.findings.length === 0 ? 'nothing personal-looking found' : `${scan.findings.length} finding(s)`}\n`;
  return `${head}${rows.length > 0 ? `${formatTable(['table', 'rows scanned', 'result'], rows)}\n` : ''}${scan.findings.map((f) => `  ${describeFinding(f)}\n`).join('')}`;
}
