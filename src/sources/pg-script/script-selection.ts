import type { Config } from '../../config/load.js';
import type { TableRef } from '../../config/schema.js';
import { matcher, selectTables } from '../../selection/table-selection.js';
import type { TableName } from '../../engines/postgres/table-name.js';

/**
 * `skip`, `skip_data` and `only_tables` for a script, decided table by table while the script
 * streams (a skipped table's CREATE TABLE must be dropped before the script has shown every table).
 * The check that every entry matches a table of the script is `selectTables`' (`check`), run once the
 * script's tables are known.
 *
 * For a script, `only_tables` keeps the rows of the tables it names only; the other tables keep
 * their schema (a live dump leaves them out entirely: the script's DDL is not rewritten that far).
 *
 * An entry that names a partitioned table or an inheritance parent reaches its partitions and children
 * (`ancestorsOf`, the tree the script has shown so far). pg_dump creates a partition as a plain table and
 * attaches it later in the pre-data section, so a partition of a skipped table keeps its CREATE TABLE
 * (it is restored empty); its rows and every later statement about it are left out.
 */
export class ScriptSelection {
  private readonly skip: Array<(table: TableName) => boolean>;
  private readonly skipData: Array<(table: TableName) => boolean>;
  private readonly only: Array<(table: TableName) => boolean>;

  constructor(
    private readonly config: Config,
    private readonly ancestorsOf: (table: TableName) => TableName[] = () => [],
  ) {
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
    return this.reaches(this.skip, table);
  }

  keepsRows(table: TableName): boolean {
    if (this.isSkipped(table) || this.reaches(this.skipData, table)) return false;
    return this.only.length === 0 || this.reaches(this.only, table);
  }

  /** Throws the usual ReplibyteError when an entry matches no table of the script. */
  check(tables: Array<TableName & { parents?: TableName[] }>): void {
    selectTables(this.config, tables.map((t) => ({ schema: t.schema, name: t.name, parents: t.parents ?? [] })), 'the script');
  }

  /** An entry matches the table or one of the tables it descends from. */
  private reaches(entries: Array<(table: TableName) => boolean>, table: TableName): boolean {
    if (entries.length === 0) return false;
    const family = [table, ...this.ancestorsOf(table)];
    return entries.some((matches) => family.some(matches));
  }
}
