import { ReplibyteError } from '../../errors.js';
import type { ScriptSelection } from './script-selection.js';
import { statementTarget } from '../../engines/postgres/statement-target.js';
import { tableLabel, type TableName } from '../../engines/postgres/table-name.js';

/**
 * Drops the DDL of skipped tables from the script: the statements `statementTarget` recognises as
 * belonging to a skipped table (or to an index of one). Refuses a foreign key from a kept table to a
 * skipped one, or to one whose rows are left out, as the live source does: the restore would fail.
 */
export class SkipFilter {
  private readonly skippedIndexes = new Set<string>();

  constructor(
    private readonly selection: ScriptSelection,
    private readonly active: boolean,
  ) {}

  /** True when the statement is to be written. `where` places an error in the script. */
  keeps(sql: string, where: string): boolean {
    if (!this.active) return true;
    const target = statementTarget(sql);
    if (target.createsIndex && target.tables.some((t) => this.selection.isSkipped(t))) {
      this.skippedIndexes.add(key(target.createsIndex));
    }
    if (target.tables.some((t) => this.selection.isSkipped(t))) return false;
    if (target.indexes.some((index) => this.skippedIndexes.has(key(index)))) return false;
    const owner = target.tables[0];
    for (const referenced of target.references) {
      if (!owner) break;
      if (this.selection.isSkipped(referenced)) {
        throw new ReplibyteError(`${where}: ${tableLabel(owner)} references the skipped table ${tableLabel(referenced)} (foreign key): skip ${tableLabel(owner)} too, or do not skip ${tableLabel(referenced)}`);
      }
      if (!this.selection.keepsRows(referenced) && this.selection.keepsRows(owner)) {
        throw new ReplibyteError(`${where}: ${tableLabel(owner)} references ${tableLabel(referenced)}, whose rows are left out (foreign key): its rows could not be restored; leave out the rows of ${tableLabel(owner)} too`);
      }
    }
    return true;
  }
}

function key(name: TableName): string {
  return JSON.stringify([name.schema, name.name]);
}
