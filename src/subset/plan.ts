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
  | { kind: 'where'; condition: string }
  /** The first `rows` rows by `orderBy` (SQL), or by the key. */
  | { kind: 'limit'; rows: number; orderBy?: string }
  /** `--include`: the rows whose `column` is one of `values` (compared as the column's type). */
  | { kind: 'keys'; column: string; values: string[] };

/** One start of the walk: its rows are kept in round 0, and their children may follow. */
export interface SubsetTarget {
  table: NamedTable;
  strategy: SubsetStrategy;
}

export interface SubsetPlan {
  /** The starts, in the config's order (the single-table form, then `targets`, then `include`). */
  targets: SubsetTarget[];
  /** Copied whole; their rows also pull in the rows they reference. */
  passthrough: NamedTable[];
  /** Every table that may hold rows (not skipped, not skip_data), in the source's order. */
  tables: NamedTable[];
  /** Relations between tables of `tables` only. */
  relations: Relation[];
  /** Children of kept rows are added too, at most this many per parent and relation. */
  children?: { limitPerParent: number };
  /** `max_rows`: table key (subsetTableKey) → the most rows it keeps, as long as no foreign key needs more. */
  maxRows: Map<string, number>;
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

/**
 * The random strategy's rule (docs/decisions/0040): a row is kept when a 64-bit hash of the seed and its
 * key, read as an unsigned number, is below this bound: the percent's share of the 2^64 values. Returns
 * undefined when every row is kept. Exact for percents with up to 6 decimals.
 */
export function sampleBound(percent: number): bigint | undefined {
  if (percent >= 100) return undefined;
  return ((1n << 64n) * BigInt(Math.round(percent * 1e6))) / 100_000_000n;
}

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

  const targets: SubsetTarget[] = [];
  const database = subset.database === undefined ? undefined : unquote(subset.database);
  /** A table named in the config: `name` in `schema` (or in `database`), or `schema.name` when `qualified` allows it. */
  const resolve = (path: PropertyKey[], name: string, schema?: string, qualified = false): SubsetTableInfo | undefined => {
    const inSchema = schema ?? database;
    const direct = inSchema === undefined ? undefined : find(inSchema, unquote(name));
    if (direct) return direct;
    if (qualified || inSchema === undefined) {
      const byName = tables.filter((t) => `${t.schema}.${t.name}` === name || (inSchema === undefined && t.name === unquote(name)));
      if (byName.length === 1) return byName[0];
      if (byName.length > 1) return void report(path, `${name} names several tables (${byName.map(tableLabel).join(', ')}): write schema.table`);
    }
    report(path, `no table ${inSchema === undefined ? '' : `${inSchema}.`}${unquote(name)} in the source`);
    return undefined;
  };
  const startable = (path: PropertyKey[], table: SubsetTableInfo | undefined): table is SubsetTableInfo => {
    if (table && !holdsRows(table)) report(path, `${tableLabel(table)} is skipped (or in skip_data): it cannot be a start of the subset`);
    return table !== undefined && holdsRows(table);
  };
  const newSeed = () => {
    const seed = Math.random().toString(36).slice(2, 10);
    warn(`subset: no seed given; this run used seed ${seed} (set it to repeat the same sample)`);
    return seed;
  };

  // The original's form: one start table.
  if (subset.table !== undefined || subset.strategy_name !== undefined) {
    if (subset.table === undefined) report(['table'], 'strategy_name needs a table');
    if (subset.strategy_name === undefined) report(['strategy_name'], 'table needs a strategy_name (random or where)');
    if (database === undefined) report(['database'], 'the single-table form needs database (the schema of table)');
    const start = subset.table !== undefined && database !== undefined ? resolve(['table'], subset.table) : undefined;
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
        strategy = { kind: 'random', percent, seed: parsed.data.seed === undefined ? newSeed() : String(parsed.data.seed) };
      }
    } else if (subset.strategy_name === 'where') {
      const parsed = whereOptions.safeParse(options);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        report(['strategy_options', ...issue.path], `${issue.message} (strategy where takes a condition)`);
      } else {
        strategy = { kind: 'where', condition: parsed.data.condition };
      }
    } else if (subset.strategy_name !== undefined) {
      report(['strategy_name'], `unknown strategy ${subset.strategy_name} (random or where)`);
    }
    if (startable(['table'], start) && strategy) targets.push({ table: start, strategy });
  }

  (subset.targets ?? []).forEach((target, index) => {
    const path = ['targets', index];
    const table = resolve([...path, 'table'], target.table, target.database === undefined ? undefined : unquote(target.database), true);
    const ways = (['percent', 'where', 'limit'] as const).filter((key) => target[key] !== undefined);
    if (ways.length !== 1) return report(path, `a target takes exactly one of percent, where, limit (found ${ways.length === 0 ? 'none' : ways.join(', ')})`);
    if (target.order_by !== undefined && target.limit === undefined) return report([...path, 'order_by'], 'order_by goes with limit');
    if (target.seed !== undefined && target.percent === undefined) return report([...path, 'seed'], 'seed goes with percent');
    const strategy: SubsetStrategy =
      target.percent !== undefined
        ? { kind: 'random', percent: target.percent, seed: target.seed === undefined ? newSeed() : String(target.seed) }
        : target.where !== undefined
          ? { kind: 'where', condition: target.where }
          : { kind: 'limit', rows: target.limit!, ...(target.order_by !== undefined && { orderBy: target.order_by }) };
    if (startable([...path, 'table'], table)) targets.push({ table, strategy });
  });

  (subset.include ?? []).forEach((spec, index) => {
    const path = ['include', index];
    const parsed = parseInclude(spec);
    if (typeof parsed === 'string') return report(path, `${parsed} (${spec})`);
    const table = resolve(path, parsed.table, parsed.schema, true);
    if (table && !table.columns.some((c) => c.name === parsed.column)) return report(path, `no column ${parsed.column} in ${tableLabel(table)} (${spec})`);
    if (startable(path, table)) targets.push({ table, strategy: { kind: 'keys', column: parsed.column, values: parsed.values } });
  });

  const maxRows = new Map<string, number>();
  for (const [name, rows] of Object.entries(subset.max_rows ?? {})) {
    const table = resolve(['max_rows', name], name, undefined, true);
    if (table) maxRows.set(subsetTableKey(table), rows);
  }

  const passthrough: SubsetTableInfo[] = [];
  (subset.passthrough_tables ?? []).forEach((pattern, index) => {
    const matches = matcher(pattern);
    const hits = tables.filter((t) => t.schema === database && matches(t.name));
    if (hits.length === 0) report(['passthrough_tables', index], `no table ${database ?? '(database is not set)'}.${unquote(pattern)} in the source`);
    for (const hit of hits) {
      if (targets.some((target) => sameTable(target.table, hit))) report(['passthrough_tables', index], `${tableLabel(hit)} is a start of the subset; it cannot also be passed through`);
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
    const childSchema = unquote(entry.database ?? subset.database ?? '');
    const parentSchema = unquote(entry.referenced_database ?? entry.database ?? subset.database ?? '');
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

  if (problems.length === 0 && targets.length === 0) report([], 'no start: give table and strategy_name, targets, or include (dump create --include)');
  if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  const children = subset.include_children;
  const childrenEnabled = children !== undefined && children.enabled !== false;
  return {
    targets,
    passthrough,
    tables: tables.filter(holdsRows),
    relations,
    maxRows,
    ...(childrenEnabled && { children: { limitPerParent: children.limit_per_parent ?? DEFAULT_CHILDREN_PER_PARENT } }),
  };
}

/**
 * `schema.table:column=v1,v2` (or `table:column=…` in `database`): the table, the column and its
 * values. The table is what comes before the last `:` preceding the `=`; values are split on commas.
 */
export function parseInclude(spec: string): { schema?: string; table: string; column: string; values: string[] } | string {
  const equals = spec.indexOf('=');
  const colon = equals === -1 ? -1 : spec.lastIndexOf(':', equals);
  if (equals === -1 || colon <= 0 || colon + 1 === equals) return 'write it as schema.table:column=value[,value…]';
  const name = spec.slice(0, colon);
  const values = spec.slice(equals + 1).split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  if (values.length === 0) return 'no value after =';
  const dot = name.indexOf('.');
  const column = spec.slice(colon + 1, equals).trim();
  return dot === -1 ? { table: name, column, values } : { schema: name.slice(0, dot), table: name.slice(dot + 1), column, values };
}
