import type { Command } from 'commander';
import { builtinTransformers } from '../../transformers/builtin/index.js';
import { listJson, listRows } from '../../transformers/reference.js';
import { formatTable } from '../../reporting/format.js';

export function registerTransformerCommands(program: Command): void {
  const transformer = program.command('transformer').description('the transformers that hide sensitive columns');
  transformer
    .command('list')
    .description('list the transformers with their options (type, default) and an example (needs no config)')
    .option('--json', 'every transformer as JSON: options with type, default and whether required; examples with their output')
    .action((options: { json?: boolean }) => {
      if (options.json) {
        process.stdout.write(`${JSON.stringify(listJson(builtinTransformers()), null, 2)}\n`);
        return;
      }
      const rows = listRows(builtinTransformers());
      process.stdout.write(`${formatTable(['name', 'deterministic', 'options', 'example', 'description'], rows)}\n`);
    });
}
