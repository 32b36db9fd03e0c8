import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import { isMysqlUri } from '../../engines/uri-schemes.js';
import { PostgresSource } from '../../sources/postgres/postgres-source.js';
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
      if (isMysqlUri(uri)) {
        const { MysqlSource } = await import('../../sources/mysql/mysql-source.js');
        const mysqlSource = await MysqlSource.open(uri);
        try {
          for (const table of mysqlSource.catalog.tables) {
            process.stdout.write(`${table.schema}.${table.name}${table.kind === 'view' ? '  (view)' : ''}\n`);
            for (const column of table.columns) process.stdout.write(`  ${column.name}  ${column.type}${column.generated ? '  (generated)' : ''}\n`);
          }
        } finally {
          await mysqlSource.close();
        }
        return;
      }
      const pg = await PostgresSource.open(uri);
      try {
        for (const table of pg.catalog.tables) {
          process.stdout.write(`${table.schema}.${table.name}\n`);
          for (const column of table.columns) {
            process.stdout.write(`  ${column.name}  ${column.type}${column.generated ? '  (generated)' : ''}\n`);
          }
        }
      } finally {
        await pg.close();
      }
    });
  registerScanCommand(source, () => program.opts<GlobalOptions & { quiet?: boolean }>());
}
