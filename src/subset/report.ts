import type { Reporter } from '../reporting/reporter.js';
import type { NamedTable } from '../selection/table-selection.js';
import { sameTable, subsetTableKey, tableLabel, type SubsetPlan, type SubsetStrategy } from './plan.js';

export interface RowCount {
  rows: number;
  estimated: boolean;
}

/** What the report of a walk asks the engine, once the walk has ended (in the same snapshot). */
export interface SubsetCounter {
  /** The rows of a table: counted, or for a large table the server's estimate (counting it would scan it whole). */
  countRows(table: NamedTable): Promise<RowCount>;
  countKept(table: NamedTable): Promise<number>;
}

/**
 * Reports the walk (`subset from … : N round(s), T ms`) and, per table of the plan, the rows kept out of
 * the rows there are. Returns the tables (not passed through) that keep at least one row.
 */
export async function reportSubset(plan: SubsetPlan, rounds: number, started: number, counter: SubsetCounter, reporter: Reporter): Promise<Set<string>> {
  const starts = plan.targets.map((target) => `${tableLabel(target.table)} (${describeStrategy(target.strategy)})`).join(', ');
  reporter.info(`subset from ${starts}${plan.children ? `, children up to ${plan.children.limitPerParent} per parent` : ''}: ${rounds} round(s), ${Date.now() - started} ms`);
  const kept = new Set<string>();
  for (const table of plan.tables) {
    const counted = await counter.countRows(table);
    const total = `${counted.estimated ? '~' : ''}${counted.rows}`;
    if (plan.passthrough.some((t) => sameTable(t, table))) {
      reporter.info(`  ${tableLabel(table)}: ${total} of ${total} rows kept (passthrough)`);
      continue;
    }
    const count = await counter.countKept(table);
    if (count > 0) kept.add(subsetTableKey(table));
    const cap = plan.maxRows.get(subsetTableKey(table));
    const notes = [
      ...(plan.targets.some((target) => sameTable(target.table, table)) ? ['start'] : count === 0 ? ['not reached'] : []),
      ...(cap === undefined ? [] : [`max_rows ${cap}`]),
    ];
    reporter.info(`  ${tableLabel(table)}: ${count} of ${total} rows kept${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`);
    if (cap !== undefined && count > cap) {
      reporter.warn(
        `subset: ${tableLabel(table)} keeps ${count} rows, over its max_rows ${cap}: the rows over it are referenced by kept rows of other tables (a cap never breaks a foreign key; lower the caps or starts that reference it)`,
      );
    }
  }
  return kept;
}

function describeStrategy(strategy: SubsetStrategy): string {
  switch (strategy.kind) {
    case 'random':
      return `random ${strategy.percent}% (seed ${strategy.seed})`;
    case 'where':
      return `where ${strategy.condition}`;
    case 'limit':
      return `first ${strategy.rows}${strategy.orderBy ? ` by ${strategy.orderBy}` : ''}`;
    case 'keys':
      return `${strategy.column} in ${strategy.values.join(', ')}`;
  }
}
