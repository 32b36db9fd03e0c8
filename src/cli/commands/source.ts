import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { registerScanCommand } from './scan.js';

export function registerSourceCommands(program: Command): void {
  const source = program.command('source').description('inspect the source database');
  source
    .command('schema')
    .description("print the source's tables and their columns")
    .action(async () => {
      const config = await requireConfig(program.opts<GlobalOptions>());
      const uri = config.source?.connection_uri;
      if (!uri) throw new ReplibyteError('source.connection_uri is required for `source schema`');
      const { engineForUri } = await import('../../engines/index.js');
      for (const table of await engineForUri(uri, 'source.connection_uri').schema(uri)) {
        process.stdout.write(`${table.schema}.${table.name}${table.view ? '  (view)' : ''}\n`);
        for (const column of table.columns) process.stdout.write(`  ${column.name}  ${column.type}${column.generated ? '  (generated)' : ''}\n`);
      }
    });
  registerScanCommand(source, () => program.opts<GlobalOptions & { quiet?: boolean }>());
}
