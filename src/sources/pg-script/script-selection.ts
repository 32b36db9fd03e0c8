import type { Config } from '../../config/load.js';
import type { TableRef } from '../../config/schema.js';
import { matcher, selectTables } from '../../selection/table-selection.js';
import type { TableName } from './table-name.js';

/**
 * `skip`, `skip_data` and `only_tables` for a script, decided table by table while the script
 * streams (a skipped table's CREATE TABLE must be dropped before the script has shown every table).
 * The check that every entry matches a table of the script is `selectTables`' (`check`), run once the
 * script's tables are known.
 *
 * For a script, `only_tables` keeps the rows of the tables it names only; the other tables keep
 * their schema (a live dump leaves them out entirely: the script's DDL is not rewritten that far).
 */
export class ScriptSelection {
  private readonly skip: Array<(table: TableName) => boolean>;
  private readonly skipData: Array<(table: TableName) => boolean>;
  private readonly only: Array<(table: TableName) => boolean>;

  constructor(private readonly config: Config) {
    const compile = (refs: TableRef[] | undefined) =>
      (refs ?? []).map((ref) => {
        const schema = matcher(ref.database);
        const name = matcher(ref.table);
        return (table: TableName) => schema(table.schema) && name(table.name);
      });
    this.skip = compile(config.source?.skip);
    this.skipData = compile(config.source?.skip_data);
    this.only = compile(config.source?.only_tables);
  }

  isSkipped(table: TableName): boolean {
    return this.skip.some((matches) => matches(table));
  }

  keepsRows(table: TableName): boolean {
    if (this.isSkipped(table) || this.skipData.some((matches) => matches(table))) return false;
    return this.only.length === 0 || this.only.some((matches) => matches(table));
  }

  /** Throws the usual ReplibyteError when an entry matches no table of the script. */
  check(tables: TableName[]): void {
    selectTables(this.config, tables.map((t) => ({ schema: t.schema, name: t.name })), 'the script');
  }
}
