import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { renderTransformersYaml } from '../../scan/scan-yaml.js';
import { builtinTransformers } from '../../transformers/builtin/index.js';
import { requireConfig, type GlobalOptions } from '../context.js';

/** `source scan`: proposes a `transformers:` block for the columns that look sensitive. */
export function registerScanCommand(source: Command, globals: () => GlobalOptions & { quiet?: boolean }): void {
  source
    .command('scan')
    .description('find columns that look sensitive (by name and content) and print a ready transformers: block')
    .option('--uri <uri>', 'scan this database instead of the config\'s source.connection_uri (no config needed)')
    .option('--sample <rows>', 'rows read per table', '200')
    .option('--json', 'print the findings as JSON')
    .action(async (options: { uri?: string; sample: string; json?: boolean }) => {
      const uri = options.uri ?? (await requireConfig(globals())).source?.connection_uri;
      if (!uri) throw new ReplibyteError('source.connection_uri is required for `source scan` (or give --uri)');
      if (!/^\d+$/.test(options.sample)) throw new ReplibyteError(`--sample takes a number of rows, not '${options.sample}'`);
      // Loaded on use: the scan's name lists come from faker, which other commands need not load.
      const { scanSource } = await import('../../scan/source-scan.js');
      const result = await scanSource(uri, { registry: builtinTransformers(), sampleRows: Number(options.sample) });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(renderTransformersYaml(result));
      if (!globals().quiet) process.stderr.write(`scanned ${result.tables} tables, ${result.columns} columns: ${result.findings.length} look sensitive\n`);
    });
}
