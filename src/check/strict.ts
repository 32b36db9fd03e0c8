import type { Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import { proposeDecisions, type ColumnSampler, type ScanTable } from '../scan/proposal.js';
import { renderDecisionsYaml } from '../scan/scan-yaml.js';
import { scanTables } from '../scan/source-scan.js';
import type { ForeignKey } from '../selection/foreign-key.js';
import { unquote, type NamedTable } from '../selection/table-selection.js';
import type { TableColumns, TransformedColumn } from '../transformers/plan.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import type { ColumnInfo } from '../transformers/transformer.js';

/** `--strict` or `source.strict: true`. */
export function isStrict(config: Config, flag?: boolean): boolean {
  return flag === true || config.source?.strict === true;
}

/** The config with strict mode on (what `--strict` does to the run). */
export function withStrict(config: Config): Config {
  return { ...config, source: { ...config.source, strict: true } };
}

export interface UndecidedTable {
  schema: string;
  name: string;
  columns: ColumnInfo[];
}

export interface StrictCheck {
  config: Config;
  /** Every table of the source (a partition's root among them). */
  tables: readonly TableColumns[];
  /** The tables whose rows the dump reads (skipped and skip_data'd ones left out). */
  dataTables: readonly NamedTable[];
  /** What the plan transforms, foreign-key followers included. */
  transformed: readonly TransformedColumn[];
  /**
   * A table → the tables it descends from, nearest first (the partitioned tables above a partition, the
   * parents of an inheritance child): a column decided on one of them is decided on the table.
   */
  ancestors?: (table: NamedTable) => readonly NamedTable[];
}

const key = (...parts: string[]) => JSON.stringify(parts);

/**
 * Strict mode: every column of every table whose rows are dumped must be decided, i.e. transformed
 * (`transient` included: it says "as it is" on purpose) or listed in `source.keep`. Returns the columns that
 * are not, grouped by the table the config names (a partition's columns under its partitioned table).
 * Generated columns need no decision: their values are computed on restore, never copied.
 */
export function findUndecided(check: StrictCheck): UndecidedTable[] {
  const decided = new Set(check.transformed.map((t) => key(t.schema, t.table, t.column)));
  for (const entry of check.config.source?.keep ?? []) {
    for (const column of entry.columns) decided.add(key(unquote(entry.database), unquote(entry.table), unquote(column)));
  }
  const undecided = new Map<string, UndecidedTable>();
  const columnsOf = (table: NamedTable) => check.tables.find((t) => t.schema === table.schema && t.name === table.name)?.columns ?? [];
  for (const table of check.dataTables) {
    const lineage = [table, ...(check.ancestors?.(table) ?? [])];
    for (const column of columnsOf(table)) {
      if (column.generated) continue;
      if (lineage.some((t) => decided.has(key(t.schema, t.name, column.name)))) continue;
      // Reported on the farthest table that has the column: the one the config names (a partition's root).
      const owner = [...lineage].reverse().find((t) => columnsOf(t).some((c) => c.name === column.name)) ?? table;
      const id = key(owner.schema, owner.name);
      const entry = undecided.get(id) ?? { schema: owner.schema, name: owner.name, columns: [] };
      if (!entry.columns.some((c) => c.name === column.name)) entry.columns.push({ ...column, schema: owner.schema, table: owner.name });
      undecided.set(id, entry);
    }
  }
  return [...undecided.values()];
}

/** `public.customer: email, username` per table. */
export function describeUndecided(undecided: readonly UndecidedTable[]): string[] {
  return undecided.map((table) => `${table.schema}.${table.name}: ${table.columns.map((c) => c.name).join(', ')}`);
}

export interface ProposalSources {
  registry: TransformerRegistry;
  foreignKeys?: readonly ForeignKey[];
  primaryKeys?: ReadonlySet<string>;
  /** Reads sample rows for the content detectors; without it the proposal goes by names and types only. */
  sampler?: ColumnSampler;
}

/** The scan's proposal for the undecided columns, as a `source:` block to merge into the config. */
export async function proposeForUndecided(undecided: readonly UndecidedTable[], sources: ProposalSources): Promise<string> {
  const tables: ScanTable[] = scanTables(undecided, sources.foreignKeys ?? [], sources.primaryKeys ?? new Set());
  const proposal = await proposeDecisions(tables, { registry: sources.registry, ...(sources.sampler && { sampler: sources.sampler }) });
  return [
    "source:   # merge into your config's source: append these entries to its transformers: and keep: lists",
    ...renderDecisionsYaml(proposal.findings, proposal.kept),
  ].join('\n');
}

/** Why a strict run refuses: the undecided columns, and the proposal that decides them. */
export class StrictRefusal extends ReplibyteError {
  constructor(
    readonly undecided: UndecidedTable[],
    readonly proposal: string,
  ) {
    const count = undecided.reduce((sum, table) => sum + table.columns.length, 0);
    super(
      [
        `strict mode: ${count} column${count === 1 ? '' : 's'} of ${undecided.length} table${undecided.length === 1 ? '' : 's'} ${count === 1 ? 'is' : 'are'} neither transformed nor declared safe in source.keep; nothing was dumped:`,
        ...describeUndecided(undecided).map((line) => `  ${line}`),
      ].join('\n'),
      `decide each one. The scan proposes (review every line, then merge it into your config):\n${proposal}`,
    );
    this.name = 'StrictRefusal';
  }
}

/** Throws a StrictRefusal, with the scan's proposal, when a column is undecided; does nothing otherwise. */
export async function enforceStrict(check: StrictCheck, sources: ProposalSources): Promise<void> {
  const undecided = findUndecided(check);
  if (undecided.length === 0) return;
  throw new StrictRefusal(undecided, await proposeForUndecided(undecided, sources));
}
