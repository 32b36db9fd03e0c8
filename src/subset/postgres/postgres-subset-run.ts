import type { ClientBase } from 'pg';
import type { Config } from '../../config/load.js';
import type { Reporter } from '../../reporting/reporter.js';
import type { NamedTable, TableSelection } from '../../selection/table-selection.js';
import type { ForeignKeyInfo } from '../../engines/postgres/catalog.js';
import { planSubset, sameTable, subsetTableKey } from '../plan.js';
import { reportSubset } from '../report.js';
import { walkSubset } from '../walk.js';
import { PostgresSubsetEngine, reachableTables, readSubsetRelations, WALK_WORK_MEM } from './postgres-subset.js';

/** How the rows of one table go into a subset dump. */
export type SubsetRows = { kind: 'all' } | { kind: 'kept'; copy: string } | { kind: 'none' };

export interface PostgresSubset {
  rowsOf(table: NamedTable, columns: string[]): SubsetRows;
}

/** A planned subset whose keep tables exist: `walk` runs it (in a transaction that is read-only by then). */
export interface PreparedPostgresSubset {
  walk(): Promise<PostgresSubset>;
}

/**
 * Plans `source.database_subset` and creates its keep tables, in the dump's transaction before it is made
 * read-only (docs/decisions/0040). Returns undefined when the config asks for no subset.
 */
export async function preparePostgresSubset(
  client: ClientBase,
  config: Config,
  foreignKeys: ForeignKeyInfo[],
  selection: TableSelection,
  reporter: Reporter,
): Promise<PreparedPostgresSubset | undefined> {
  if (!config.source?.database_subset) return undefined;
  const all = await readSubsetRelations(client);
  const roots = all.filter((relation) => !relation.root);
  // A foreign key declared on (or pointing at) a single partition is followed from its partitioned
  // table: the walk names rows through the root, and a wider set of parents is still a correct one.
  const rootOf = (schema: string, name: string) => all.find((r) => r.schema === schema && r.name === name)?.root ?? { schema, name };
  const keys = foreignKeys.map((fk) => {
    const child = rootOf(fk.schema, fk.table);
    const parent = rootOf(fk.referencedSchema, fk.referencedTable);
    return { ...fk, schema: child.schema, table: child.name, referencedSchema: parent.schema, referencedTable: parent.name };
  });
  const plan = planSubset(config, roots, keys, selection, (message) => reporter.warn(message));
  if (!plan) return undefined;
  const engine = new PostgresSubsetEngine(client, roots);
  await engine.createKeepTables(reachableTables(plan));
  return {
    async walk() {
      // For the rest of the dump's transaction: the walk's sorts and hash joins stay in memory (decision 0026).
      await client.query(`SET LOCAL work_mem = '${WALK_WORK_MEM}'`);
      const started = Date.now();
      const { rounds } = await walkSubset(plan, engine);
      const kept = await reportSubset(plan, rounds, started, engine, reporter);
      const isPassthrough = (table: NamedTable) => plan.passthrough.some((t) => sameTable(t, table));
      return {
        rowsOf(table, columns) {
          const root = all.find((r) => r.schema === table.schema && r.name === table.name)?.root ?? table;
          if (isPassthrough(root)) return { kind: 'all' };
          if (!kept.has(subsetTableKey(root))) return { kind: 'none' };
          return { kind: 'kept', copy: engine.keptRowsCopy(table, columns, root) };
        },
      };
    },
  };
}
