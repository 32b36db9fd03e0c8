import type { Connection } from 'mysql2/promise';
import type { Config } from '../../config/load.js';
import type { Reporter } from '../../reporting/reporter.js';
import type { NamedTable, TableSelection } from '../../selection/table-selection.js';
import type { MysqlCatalog } from '../../engines/mysql/catalog.js';
import { planSubset, sameTable, subsetTableKey } from '../plan.js';
import { reportSubset } from '../report.js';
import { walkSubset } from '../walk.js';
import { MysqlSubsetEngine, type MysqlSubsetTables } from './mysql-subset.js';

/** How the rows of one table go into a subset dump: all of them, the SELECT of the kept ones, or none. */
export type MysqlSubsetRows = { kind: 'all' } | { kind: 'kept'; select: string } | { kind: 'none' };

export interface MysqlSubset {
  rowsOf(table: NamedTable, columns: string[]): MysqlSubsetRows;
}

/**
 * Runs `source.database_subset` in the dump's snapshot transaction, on the dump's one connection (the
 * kept keys live in its session's temporary tables, which `prepared` created before the transaction):
 * plans, walks to the fixed point, reports per table the rows kept out of the rows there are, and says
 * how each table's rows are then read. Returns undefined when the config asks for no subset.
 */
export async function computeMysqlSubset(
  connection: Connection,
  prepared: MysqlSubsetTables,
  catalog: MysqlCatalog,
  config: Config,
  selection: TableSelection,
  reporter: Reporter,
): Promise<MysqlSubset | undefined> {
  if (!config.source?.database_subset) return undefined;
  const tables = catalog.tables.filter((table) => table.kind === 'table');
  const plan = planSubset(config, tables, catalog.foreignKeys, selection, (message) => reporter.warn(message));
  if (!plan) return undefined;
  const engine = new MysqlSubsetEngine(connection, prepared, tables);
  const started = Date.now();
  const { rounds } = await walkSubset(plan, engine);
  const kept = await reportSubset(plan, rounds, started, engine, reporter);
  return {
    rowsOf(table, columns) {
      if (plan.passthrough.some((t) => sameTable(t, table))) return { kind: 'all' };
      if (!kept.has(subsetTableKey(table))) return { kind: 'none' };
      return { kind: 'kept', select: engine.keptRowsSelect(table, columns) };
    },
  };
}
