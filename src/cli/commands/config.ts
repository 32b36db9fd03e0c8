import type { Command } from 'commander';
import { checkConfig, type TablePreview } from '../../check/config-check.js';
import { formatProblem } from '../../config/load.js';
import { ReplibyteError } from '../../errors.js';
import { builtinTransformers } from '../../transformers/builtin/index.js';
import type { GlobalOptions } from '../context.js';
import { formatTable } from '../../reporting/format.js';

/** `config check [--preview N]`: every mistake of the config at once, against the live source. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check the configuration');
  config
    .command('check')
    .description('validate the config against the live source schema; report every problem with its line')
    .option('--preview <rows>', 'show N sample rows of each transformed table, before and after')
    .option('--json', 'print the report as JSON')
    .option('--strict', 'also require every dumped column to be transformed or in source.keep (as source.strict: true)')
    .action(async (options: { preview?: string; json?: boolean; strict?: boolean }) => {
      const path = program.opts<GlobalOptions>().config;
      if (!path) throw new ReplibyteError('this command needs a config file: replibyte -c conf.yaml config check');
      if (options.preview !== undefined && !/^\d+$/.test(options.preview)) throw new ReplibyteError(`--preview takes a number of rows, not '${options.preview}'`);
      const report = await checkConfig(path, {
        registry: builtinTransformers(),
        ...(options.preview && { previewRows: Number(options.preview) }),
        ...(options.strict && { strict: true }),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const problem of report.problems) process.stderr.write(`${formatProblem(report.origin, problem)}\n`);
        if (report.strictProposal) process.stderr.write(`the scan proposes (review every line, then merge it into your config):\n${report.strictProposal}\n`);
        for (const table of report.previews) process.stdout.write(`${renderPreview(table)}\n\n`);
      }
      if (options.strict && !report.checkedAgainst && !options.json) {
        process.stderr.write('note: strict mode needs the source\'s columns: without source.connection_uri it is checked by `dump create` (a script\'s columns are known as it is read)\n');
      }
      const against = report.checkedAgainst ? `against ${report.checkedAgainst}` : 'without a live source (no source.connection_uri)';
      if (report.problems.length > 0) {
        throw new ReplibyteError(`${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${report.origin} (checked ${against})`);
      }
      if (!options.json) process.stderr.write(`${report.origin} is ready (checked ${against})\n`);
    });
}

/** One table's sample: each transformed column before and after, side by side. */
export function renderPreview(table: TablePreview): string {
  const headers = table.columns.flatMap((column) => [`${column} (before)`, `${column} (after)`]);
  const rows = table.rows.map((row) => row.before.flatMap((value, i) => [value ?? 'NULL', row.after[i] ?? 'NULL']));
  return `${table.schema}.${table.table}\n${formatTable(headers, rows)}`;
}
