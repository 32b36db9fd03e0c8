import type { Reporter } from '../reporting/reporter.js';
import type { NamedTable } from '../selection/table-selection.js';
import { sameTable, subsetTableKey, tableLabel, type SubsetPlan } from './plan.js';

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
  const strategy = plan.strategy.kind === 'random' ? `random ${plan.strategy.percent}% (seed ${plan.strategy.seed})` : `where ${plan.strategy.condition}`;
  reporter.info(`subset from ${tableLabel(plan.start)} (${strategy}${plan.children ? `, children up to ${plan.children.limitPerParent} per parent` : ''}): ${rounds} round(s), ${Date.now() - started} ms`);
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
    const note = sameTable(table, plan.start) ? ' (start)' : count === 0 ? ' (not reached)' : '';
    reporter.info(`  ${tableLabel(table)}: ${count} of ${total} rows kept${note}`);
  }
  return kept;
}
