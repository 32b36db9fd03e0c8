import type { Command } from 'commander';
import { builtinTransformers } from '../../transformers/builtin/index.js';
import { listRows } from '../../transformers/reference.js';
import { formatTable } from '../../reporting/format.js';

export function registerTransformerCommands(program: Command): void {
  const transformer = program.command('transformer').description('the transformers that hide sensitive columns');
  transformer
    .command('list')
    .description('list the transformers with their options and an example (needs no config)')
    .action(() => {
      const rows = listRows(builtinTransformers());
      process.stdout.write(`${formatTable(['name', 'deterministic', 'options', 'example', 'description'], rows)}\n`);
    });
}
