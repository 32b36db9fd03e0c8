import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { verifyDump } from '../../operations/dump-verify.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { formatBytes, formatTable } from '../format.js';

/** `dump verify -v NAME|latest`: the report on stdout; a fault is an error (exit 1) naming chunk and offset. */
export function registerVerifyCommand(dump: Command, globals: () => GlobalOptions): void {
  dump
    .command('verify')
    .description('read a whole dump back (decrypt, decompress, parse) without a database, and report it or its first fault')
    .requiredOption('-v, --value <name>', 'dump to verify: latest or a dump name')
    .option('--json', 'print the report as JSON')
    .action(async (options: { value: string; json?: boolean }) => {
      const config = await requireConfig(globals());
      const report = await verifyDump(config, { value: options.value });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const rows = report.parts.map((part) => [part.label, part.kind === 'table-data' ? String(part.rows) : `${part.statements} statements`, formatBytes(part.bytes)]);
        const state = report.fault ? 'FAULT' : 'OK';
        process.stdout.write(
          `dump ${report.name} (${report.format}${report.encrypted ? ', encrypted' : ''}): ${state}\n` +
            `${report.tables} tables, ${report.rows} rows, ${report.bytes} bytes (${report.storedBytes} stored in ${report.chunks} chunks)\n` +
            (rows.length > 0 ? `${formatTable(['part', 'rows', 'bytes'], rows)}\n` : ''),
        );
      }
      if (report.fault) {
        const place = report.fault.chunk && !report.fault.message.includes(report.fault.chunk) ? ` [chunk ${report.fault.chunk}${report.fault.offset !== undefined ? `, offset ${report.fault.offset}` : ''}]` : '';
        throw new ReplibyteError(`dump ${report.name} is damaged: ${report.fault.message}${place}`);
      }
    });
}
