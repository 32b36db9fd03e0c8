import { z } from 'zod';
import type { Config } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import { matcher, unquote, type NamedTable, type TableSelection } from '../selection/table-selection.js';
import type { ForeignKey } from '../selection/foreign-key.js';

/**
 * The engine-neutral half of `source.database_subset`: which tables take part, which relations join them,
 * how the start rows are chosen. The per-database SQL (src/subset/<engine>/) only answers the questions
 * this plan asks; the fixed point over the graph lives in walk.ts.
 */

/** One side of a relation: a column, or (virtual foreign keys only) an SQL expression on the row. */
export type RelationColumn = { column: string } | { expression: string };

/** A child → parent relation: a foreign key of the schema, or a virtual one from the config. */
export interface Relation {
  name: string;
  virtual: boolean;
  child: NamedTable;
  childColumns: RelationColumn[];
  parent: NamedTable;
  parentColumns: string[];
}

export type SubsetStrategy =
  | { kind: 'random'; percent: number; seed: string }
  | { kind: 'where'; condition: string };

export interface SubsetPlan {
  start: NamedTable;
  strategy: SubsetStrategy;
  /** Copied whole; their rows also pull in the rows they reference. */
  passthrough: NamedTable[];
  /** Every table that may hold rows (not skipped, not skip_data), in the source's order. */
  tables: NamedTable[];
  /** Relations between tables of `tables` only. */
  relations: Relation[];
  /** Children of kept rows are added too, at most this many per parent and relation. */
  children?: { limitPerParent: number };
}

export type ForeignKeyLike = ForeignKey;

export interface SubsetTableInfo extends NamedTable {
  columns: Array<{ name: string }>;
}

/** With include_children and no limit, each kept parent brings at most this many children per relation. */
export const DEFAULT_CHILDREN_PER_PARENT = 100;

const randomOptions = z.strictObject({
  percent: z.number().min(0),
  seed: z.union([z.string(), z.number()]).optional(),
});
const whereOptions = z.strictObject({ condition: z.string().min(1) });

/** A table as a string, for sets and maps of tables (the walk's, the report's). */
export function subsetTableKey(table: NamedTable): string {
  return JSON.stringify([table.schema, table.name]);
}

export function sameTable(a: NamedTable, b: NamedTable): boolean {
  return a.schema === b.schema && a.name === b.name;
}

export function tableLabel(table: NamedTable): string {
  return `${table.schema}.${table.name}`;
}

/**
 * Checks `source.database_subset` against the source's schema and builds the plan. Every problem is
 * reported at once, with its place in the YAML, before any row is read.
 * `tables` are the relations that can hold rows in the walk (for PostgreSQL: tables and partitioned
 * tables, not their partitions).
 */
export function planSubset(
  config: Config,
  tables: SubsetTableInfo[],
  foreignKeys: ForeignKeyLike[],
  selection: TableSelection,
  warn: (message: string) => void,
): SubsetPlan | undefined {
  const subset = config.source?.database_subset;
  if (!subset) return undefined;
  const problems: string[] = [];
  const report = (path: PropertyKey[], message: string) => {
    const place = config.locate(['source', 'database_subset', ...path]);
    problems.push(`${place ? `${config.origin}:${place.line}:${place.column}: ` : ''}${formatKeyPath(['source', 'database_subset', ...path])}: ${message}`);
  };
  const holdsRows = (table: NamedTable) => selection.hasData(table);
  const find = (schema: string, name: string) => tables.find((t) => t.schema === schema && t.name === name);

  const database = unquote(subset.database);
  const start = find(database, unquote(subset.table));
  if (!start) report(['table'], `no table ${database}.${unquote(subset.table)} in the source`);
  else if (!holdsRows(start)) report(['table'], `${tableLabel(start)} is skipped (or in skip_data): it cannot be the start of the subset`);

  let strategy: SubsetStrategy | undefined;
  const options = subset.strategy_options ?? {};
  if (subset.strategy_name === 'random') {
    const parsed = randomOptions.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      report(['strategy_options', ...issue.path], `${issue.message} (strategy random takes percent and an optional seed)`);
    } else {
      let percent = parsed.data.percent;
      if (percent > 100) {
        // The original accepted 0-255 and clamped; keep old configs working, but say so.
        warn(`source.database_subset.strategy_options.percent is ${percent}: taken as 100`);
        percent = 100;
      }
      const seed = parsed.data.seed === undefined ? Math.random().toString(36).slice(2, 10) : String(parsed.data.seed);
      if (parsed.data.seed === undefined) warn(`subset: no strategy_options.seed given; this run used seed ${seed} (set it to repeat the same sample)`);
      strategy = { kind: 'random', percent, seed };
    }
  } else if (subset.strategy_name === 'where') {
    const parsed = whereOptions.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      report(['strategy_options', ...issue.path], `${issue.message} (strategy where takes a condition)`);
    } else {
      strategy = { kind: 'where', condition: parsed.data.condition };
    }
  } else {
    report(['strategy_name'], `unknown strategy ${subset.strategy_name} (random or where)`);
  }

  const passthrough: SubsetTableInfo[] = [];
  (subset.passthrough_tables ?? []).forEach((pattern, index) => {
    const matches = matcher(pattern);
    const hits = tables.filter((t) => t.schema === database && matches(t.name));
    if (hits.length === 0) report(['passthrough_tables', index], `no table ${database}.${unquote(pattern)} in the source`);
    for (const hit of hits) {
      if (start && sameTable(hit, start)) report(['passthrough_tables', index], `${tableLabel(hit)} is the start table; it cannot also be passed through`);
      else if (holdsRows(hit) && !passthrough.includes(hit)) passthrough.push(hit);
    }
  });

  const relations: Relation[] = [];
  for (const fk of foreignKeys) {
    const child = find(fk.schema, fk.table);
    const parent = find(fk.referencedSchema, fk.referencedTable);
    if (!child || !parent || !holdsRows(child) || !holdsRows(parent)) continue;
    relations.push({
      name: fk.name,
      virtual: false,
      child,
      childColumns: fk.columns.map((column) => ({ column })),
      parent,
      parentColumns: fk.referencedColumns,
    });
  }
  (subset.virtual_foreign_keys ?? []).forEach((entry, index) => {
    const path = ['virtual_foreign_keys', index];
    const childSchema = unquote(entry.database ?? subset.database);
    const parentSchema = unquote(entry.referenced_database ?? entry.database ?? subset.database);
    const child = find(childSchema, unquote(entry.table));
    const parent = find(parentSchema, unquote(entry.referenced_table));
    if (!child) return report([...path, 'table'], `no table ${childSchema}.${unquote(entry.table)} in the source`);
    if (!parent) return report([...path, 'referenced_table'], `no table ${parentSchema}.${unquote(entry.referenced_table)} in the source`);
    if (entry.columns.length !== entry.referenced_columns.length) {
      return report([...path, 'columns'], `${entry.columns.length} column(s) for ${entry.referenced_columns.length} referenced column(s)`);
    }
    const childColumns: RelationColumn[] = [];
    entry.columns.forEach((column, columnIndex) => {
      if (typeof column !== 'string') return childColumns.push({ expression: column.expression });
      const name = unquote(column);
      if (!child.columns.some((c) => c.name === name)) report([...path, 'columns', columnIndex], `no column ${name} in ${tableLabel(child)}`);
      childColumns.push({ column: name });
    });
    const parentColumns = entry.referenced_columns.map(unquote);
    parentColumns.forEach((name, columnIndex) => {
      if (!parent.columns.some((c) => c.name === name)) report([...path, 'referenced_columns', columnIndex], `no column ${name} in ${tableLabel(parent)}`);
    });
    if (!holdsRows(child) || !holdsRows(parent)) return;
    relations.push({ name: `virtual_foreign_keys[${index}]`, virtual: true, child, childColumns, parent, parentColumns });
  });

  if (problems.length > 0 || !start || !strategy) throw new ReplibyteError(problems.join('\n'));
  const children = subset.include_children;
  const childrenEnabled = children !== undefined && children.enabled !== false;
  return {
    start,
    strategy,
    passthrough,
    tables: tables.filter(holdsRows),
    relations,
    ...(childrenEnabled && { children: { limitPerParent: children.limit_per_parent ?? DEFAULT_CHILDREN_PER_PARENT } }),
  };
}
