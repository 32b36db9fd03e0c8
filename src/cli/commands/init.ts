import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { renderDecisionsYaml } from '../../scan/scan-yaml.js';
import { builtinTransformers } from '../../transformers/builtin/index.js';

/** `replibyte init`: a commented starter config, its transformers proposed by `source scan`. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a commented starter config, with transformers proposed by `source scan`')
    .requiredOption('--uri <uri>', 'the source database to scan (the file refers to it as $SOURCE_DATABASE_URL)')
    .option('-o, --output <file>', 'where to write the config', 'conf.yaml')
    .option('--force', 'overwrite an existing file')
    .action(async (options: { uri: string; output: string; force?: boolean }) => {
      // Loaded on use: the scan's name lists come from faker, which other commands need not load.
      const { scanSource } = await import('../../scan/source-scan.js');
      const result = await scanSource(options.uri, { registry: builtinTransformers() });
      const text = [
        '# replibyte config, written by `replibyte init`. Check it against the source before a long run:',
        `#   replibyte -c ${options.output} config check --preview 5`,
        '#',
        '# Secrets stay in the environment: $NAME is replaced by the variable NAME.',
        'salt: $TRANSFORMER_SALT   # the secret behind deterministic transformers (same input, same output)',
        '# encryption_key: $REPLIBYTE_ENCRYPTION_KEY   # encrypt the dumps',
        `# source scan: ${result.findings.length} of ${result.columns} columns in ${result.tables} tables look sensitive (by name, type and up to`,
        `# ${result.sampleRows} sampled rows per table): each gets a transformer; every other column is under keep, with why.`,
        '# Review both lists: strict mode refuses to dump a column that is in neither (a new column in the source too).',
        'source:',
        '  connection_uri: $SOURCE_DATABASE_URL',
        '  compression: true',
        '  strict: true   # refuse to dump while a column is neither transformed nor kept (see README "Strict mode")',
        '  # skip_data: [{ database: public, table: sessions }]   # keep a table, leave its rows out',
        ...renderDecisionsYaml(result.findings, result.kept),
        'datastore:',
        '  local_disk:',
        '    dir: ./dumps   # must exist',
        '# destination:   # for `dump restore remote`; `dump restore local` needs none',
        '#   connection_uri: $DEV_DATABASE_URL',
        '',
      ].join('\n');
      await writeFile(options.output, text, { flag: options.force ? 'w' : 'wx', mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new ReplibyteError(`${options.output} exists`, 'use --force to overwrite it, or -o another file');
        throw error;
      });
      process.stderr.write(`wrote ${options.output}: ${result.findings.length} sensitive-looking columns with a proposed transformer, ${result.kept.length} kept as they are\n`);
    });
}
