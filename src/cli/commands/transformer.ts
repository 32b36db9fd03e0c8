import type { Command } from 'commander';
import { builtinTransformers } from '../../transformers/builtin/index.js';
import { formatTable } from '../format.js';

export function registerTransformerCommands(program: Command): void {
  const transformer = program.command('transformer').description('the transformers that hide sensitive columns');
  transformer
    .command('list')
    .description('list the transformers (needs no config)')
    .action(() => {
      const rows = builtinTransformers()
        .all()
        .map((t) => [t.name, t.deterministic ? 'yes' : 'no', t.description]);
      process.stdout.write(`${formatTable(['name', 'deterministic', 'description'], rows)}\n`);
    });
}
