import type { Config, ConfigProblem } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import { didYouMean } from '../config/did-you-mean.js';
import type { ColumnTransform, TransformRecipe, ValueTransform } from './row-transform.js';
import { ReplibyteError } from '../errors.js';
import { unquote } from '../selection/table-selection.js';
import { guardOutput } from './column-guard.js';
import { buildColumnTransform, checkRowOptions, kindOfRecipe, optionReferences } from './column-transform.js';
import { compileCondition, conditionColumns, kindOfType, type ValueKind } from './condition.js';
import { checkKeepEntries } from './keep.js';
import { withinUniquePrefix } from './unique-suffix.js';
import type { TransformerRegistry } from './registry.js';
import type { ColumnInfo, TransformerDefinition } from './transformer.js';
import type { ForeignKey } from '../selection/foreign-key.js';
import { tableAncestry, type TreeTable } from '../selection/table-tree.js';

/** A table of the source; `parents` (partitioned table, inheritance parents) pass their entries down. */
export interface TableColumns extends TreeTable {
  columns: Array<ColumnInfo & { generated?: boolean }>;
  /** A partitioned table's partition key columns: their values choose the partition a row is in. */
  partitionKey?: readonly string[];
  /** The primary key's columns: a value that cannot be stored is reported with its row's key. */
  primaryKey?: readonly string[];
  /** A collection of documents: its columns are field paths, and a condition may read any other path. */
  documents?: boolean;
}

/** How conditions and row options read the table's columns (undefined for documents: any path, typed by use). */
export function columnKinds(table: TableColumns): Record<string, ValueKind> | undefined {
  if (table.documents) return undefined;
  return Object.fromEntries(table.columns.map((column) => [column.name, kindOfType(column.baseType)]));
}

export type ForeignKeyRef = ForeignKey;

export interface TableTransformPlan {
  /** Transforms by column position in the table's dumped column list. */
  transforms: ColumnTransform[];
}

export interface TransformedColumn {
  schema: string;
  table: string;
  column: string;
  transformer: string;
  /** `schema.table.column` of the key whose transformation this referencing column follows (foreign key). */
  propagatedFrom?: string;
  /** The options it ran with, as validated (provenance: two dumps made with the same rules say so). */
  options?: unknown;
  /** `name@version` of the algorithm: the version changes whenever the same input would give another output. */
  algorithm?: string;
  /** `schema.table` of the partitioned table or inheritance parent whose entry this column follows. */
  inheritedFrom?: string;
  /** The `when:` condition, when the entry has one: the other rows keep their value. */
  when?: string;
}

export interface TransformPlan {
  /** Keyed by `schema.table` (unquoted). */
  tables: Map<string, TableTransformPlan>;
  transformed: TransformedColumn[];
}

export function tableKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

function columnKey(schema: string, table: string, column: string): string {
  return JSON.stringify([schema, table, column]);
}

/** Transformers whose output can never break a foreign key: they may be set on a referencing column alone. */
const FK_NEUTRAL = new Set(['transient', 'null']);

interface PlannedColumn {
  schema: string;
  table: string;
  column: ColumnInfo;
  definition: TransformerDefinition<unknown>;
  /** The options as written, to compare two entries. */
  optionsText: string;
  apply: ValueTransform;
  /** How a worker thread rebuilds `apply` (for a follower: the key's, since it runs the key's function). */
  recipe: TransformRecipe;
  path?: PropertyKey[];
  propagatedFrom?: PlannedColumn;
  /** The entry of a partitioned table or an inheritance parent this partition's or child's column follows. */
  inheritedFrom?: PlannedColumn;
}

/**
 * Checks every transformer entry of the config against the source's schema and builds the per-table
 * transforms. All problems are reported at once, each with its place in the YAML, before a row is read.
 *
 * Keys stay keys: a transformed column referenced by foreign keys hands its very function (built for the
 * key's column) to every referencing column, transitively, so transformed children still match their
 * transformed parents. A referencing column configured with another transformer is refused, and so is a
 * transformed referencing column whose key is left as it is (its rows could not be restored).
 *
 * Partitions and inheritance children are read (and their plan looked up) under their own names, so an
 * entry named on a partitioned table or an inheritance parent is handed down to every partition,
 * sub-partition and child, column by column by NAME (a child's columns may be more, and in another
 * order). An entry named on the partition or child itself wins for its column; its other columns keep
 * the inherited entries. A referencing column's key transformation is handed down the same way.
 */
export function planTransforms(
  config: Config,
  tables: TableColumns[],
  registry: TransformerRegistry,
  salt: Buffer,
  dumpedColumns: (table: TableColumns) => string[],
  foreignKeys: readonly ForeignKeyRef[] = [],
): TransformPlan {
  const { plan, problems } = checkTransforms(config, tables, registry, salt, dumpedColumns, foreignKeys);
  if (problems.length > 0) throw new ReplibyteError(problems.map((p) => formatPlanProblem(config.origin, p)).join('\n'));
  return plan;
}

/** `conf.yaml:12:9: source.transformers[0].table: no table …` */
export function formatPlanProblem(origin: string, problem: ConfigProblem): string {
  return `${problem.line === undefined ? '' : `${origin}:${problem.line}:${problem.column}: `}${problem.keyPath}: ${problem.message}`;
}

/**
 * The checks and the plan of `planTransforms`, with the problems returned instead of thrown
 * (`config check` reports them together with the others). The plan is only usable without problems.
 */
export function checkTransforms(
  config: Config,
  tables: TableColumns[],
  registry: TransformerRegistry,
  salt: Buffer,
  dumpedColumns: (table: TableColumns) => string[],
  foreignKeys: readonly ForeignKeyRef[] = [],
): { plan: TransformPlan; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report = (path: PropertyKey[], message: string) => {
    problems.push({ keyPath: formatKeyPath(path), message, ...config.locate(path) });
  };
  const planned = new Map<string, PlannedColumn>();
  const lookup = (schema: string, table: string) => (name: string) => planned.get(columnKey(schema, table, name))?.apply;
  const shape = uniqueFamilies(config, tables, registry);

  (config.source?.transformers ?? []).forEach((entry, tableIndex) => {
    const schema = unquote(entry.database);
    const name = unquote(entry.table);
    const table = tables.find((t) => t.schema === schema && t.name === name);
    if (!table) {
      report(['source', 'transformers', tableIndex, 'table'], `no table ${schema}.${name} in the source${didYouMean(name, tables.filter((t) => t.schema === schema).map((t) => t.name))}`);
      return;
    }
    const columns = dumpedColumns(table);
    entry.columns.forEach((columnEntry, columnIndex) => {
      const path = ['source', 'transformers', tableIndex, 'columns', columnIndex];
      const columnName = unquote(columnEntry.name);
      const column = table.columns.find((c) => c.name === columnName);
      if (!column) {
        report([...path, 'name'], `no column ${columnName} in ${schema}.${name}${didYouMean(columnName, table.columns.map((c) => c.name))}`);
        return;
      }
      if (column.generated) {
        report([...path, 'name'], `${schema}.${name}.${columnName} is a generated column: it is computed on restore, transform its inputs instead`);
        return;
      }
      const definition = registry.get(columnEntry.transformer_name);
      if (!definition) {
        report([...path, 'transformer_name'], `unknown transformer ${columnEntry.transformer_name}${didYouMean(columnEntry.transformer_name, registry.all().map((t) => t.name))} (see \`replibyte transformer list\`)`);
        return;
      }
      const kinds = columnKinds(table);
      const kindOf = kindOfRecipe({ kinds });
      const rawOptions = columnEntry.transformer_options ?? {};
      const rowOptions = optionReferences(rawOptions).length > 0;
      let validated: unknown = rawOptions;
      if (rowOptions) {
        const configured = new Set(entry.columns.map((c) => unquote(c.name)));
        const rowProblems = checkRowOptions(definition, rawOptions, columnName, kindOf, (other) => configured.has(other) || planned.has(columnKey(schema, name, other)));
        for (const problem of rowProblems) report([...path, 'transformer_options'], `${problem} (transformer ${definition.name} on ${schema}.${name}.${columnName})`);
        if (rowProblems.length > 0) return;
      } else {
        const options = definition.options.safeParse(rawOptions);
        if (!options.success) {
          const issue = options.error.issues[0];
          report([...path, 'transformer_options', ...(issue?.path ?? [])], `${issue?.message ?? 'invalid options'} (transformer ${definition.name})`);
          return;
        }
        validated = options.data;
      }
      const when = columnEntry.when;
      if (when !== undefined) {
        try {
          compileCondition(when, columnName, kindOf);
        } catch (error) {
          if (!(error instanceof ReplibyteError)) throw error;
          report([...path, 'when'], `${error.message} (condition on ${schema}.${name}.${columnName}${kinds ? `; its columns: ${table.columns.map((c) => c.name).join(', ')}` : ''})`);
          return;
        }
      }
      const refusal = refusalOf(definition, withinUniquePrefix(column));
      if (refusal) {
        report([...path, 'transformer_name'], `${definition.name} cannot transform ${schema}.${name}.${columnName} (${column.type}): ${refusal}`);
        return;
      }
      const recipe: TransformRecipe = {
        transformer: definition.name,
        options: validated,
        column: shape(column, definition, validated),
        tableColumns: columns,
        salt,
        ...(when !== undefined && { when }),
        ...(rowOptions && { rowOptions }),
        ...(kinds && { kinds }),
      };
      let apply: ValueTransform;
      try {
        apply = buildColumnTransform(definition, recipe, { column: recipe.column, salt, tableColumns: columns, transformOf: lookup(schema, name) });
      } catch (error) {
        if (!(error instanceof ReplibyteError)) throw error;
        report([...path, 'transformer_options'], `${error.message} (transformer ${definition.name} on ${schema}.${name}.${columnName})`);
        return;
      }
      // A column listed twice: the last entry wins, as in the original.
      planned.set(columnKey(schema, name, columnName), {
        schema,
        table: name,
        column,
        definition,
        optionsText: stableJson({ options: validated, when }),
        apply,
        recipe,
        path,
      });
    });
  });

  const ancestorsOf = tableAncestry(tables);
  inheritNamedEntries(planned, tables, ancestorsOf, (from, table, column) => {
    const entry = inheritedEntry(from, table, column, { salt, dumpedColumns, lookup, report, shape });
    if (entry) planned.set(columnKey(table.schema, table.name, column.name), entry);
  });
  checkReadCycles(planned, report);
  propagateAlongForeignKeys(planned, tables, foreignKeys, report);
  inheritFollowers(planned, tables, ancestorsOf, report);
  checkPartitionKeys(planned, tables, ancestorsOf, foreignKeys, report);
  checkPartitionKeyColumns(planned, tables, ancestorsOf, report);
  problems.push(...checkKeepEntries(config, tables));

  const plan: TransformPlan = { tables: new Map(), transformed: [] };
  for (const entry of planned.values()) {
    const table = tables.find((t) => t.schema === entry.schema && t.name === entry.table)!;
    const index = dumpedColumns(table).indexOf(entry.column.name);
    const key = tableKey(entry.schema, entry.table);
    const tablePlan = plan.tables.get(key) ?? { transforms: [] };
    // Checked against this column (a follower runs its key's function, built for the key's column).
    const guard = { column: entry.column, keyColumns: table.primaryKey ?? [] };
    tablePlan.transforms.push({ index, apply: guardOutput(entry.apply, entry.definition.name, guard.column, guard.keyColumns), recipe: { ...entry.recipe, guard } });
    plan.tables.set(key, tablePlan);
    const root = entry.propagatedFrom;
    const parent = entry.inheritedFrom;
    plan.transformed.push({
      schema: entry.schema,
      table: entry.table,
      column: entry.column.name,
      transformer: entry.definition.name,
      ...(root && { propagatedFrom: `${root.schema}.${root.table}.${root.column.name}` }),
      options: entry.recipe.options ?? {},
      algorithm: algorithmOf(entry.definition),
      ...(parent && { inheritedFrom: `${parent.schema}.${parent.table}` }),
      ...(entry.recipe.when !== undefined && { when: entry.recipe.when }),
    });
  }
  return { plan, problems };
}

export function algorithmOf(definition: Pick<TransformerDefinition<unknown>, 'name' | 'version'>): string {
  return `${definition.name}@${definition.version ?? 1}`;
}

/** The nearest ancestor's entry for a column (ancestors nearest first), among those `accepts` lets count. */
function nearestEntry(planned: Map<string, PlannedColumn>, ancestors: NamedTableLike[], column: string, accepts: (entry: PlannedColumn) => boolean): PlannedColumn | undefined {
  for (const ancestor of ancestors) {
    const entry = planned.get(columnKey(ancestor.schema, ancestor.name, column));
    if (entry && accepts(entry)) return entry;
  }
  return undefined;
}

type NamedTableLike = { schema: string; name: string };

/**
 * Hands the entries named in the config down to partitions and inheritance children: a column with no
 * entry of its own gets the nearest ancestor's. Runs before the keys' propagation, so that a foreign key
 * declared on one partition (or child) finds its key transformed.
 */
function inheritNamedEntries(
  planned: Map<string, PlannedColumn>,
  tables: TableColumns[],
  ancestorsOf: (table: NamedTableLike) => NamedTableLike[],
  inherit: (from: PlannedColumn, table: TableColumns, column: ColumnInfo & { generated?: boolean }) => void,
): void {
  for (const table of tables) {
    const ancestors = ancestorsOf(table);
    if (ancestors.length === 0) continue;
    for (const column of table.columns) {
      if (planned.has(columnKey(table.schema, table.name, column.name))) continue;
      const from = nearestEntry(planned, ancestors, column.name, (entry) => !entry.inheritedFrom);
      if (from) inherit(from, table, column);
    }
  }
}

/**
 * A named entry's transformer built again for a partition's (or child's) column: checked against that
 * column, reading that table's row (a template), with the same options. Deterministic transformers give
 * the same output for the same value in every partition: they depend on the value, the options, the salt
 * and the column's type, never on the table's name.
 */
function inheritedEntry(
  from: PlannedColumn,
  table: TableColumns,
  column: ColumnInfo & { generated?: boolean },
  context: {
    salt: Buffer;
    dumpedColumns: (table: TableColumns) => string[];
    lookup: (schema: string, table: string) => (name: string) => ValueTransform | undefined;
    report: (path: PropertyKey[], message: string) => void;
    shape: (column: ColumnInfo, definition: TransformerDefinition<unknown>, options: unknown) => ColumnInfo;
  },
): PlannedColumn | undefined {
  const label = `${table.schema}.${table.name}.${column.name}`;
  const reach = `which the entry of ${from.schema}.${from.table} reaches as its partition or inheritance child`;
  const path = from.path ?? [];
  if (column.generated) {
    context.report([...path, 'name'], `${label} is a generated column, ${reach}: transform its inputs instead`);
    return undefined;
  }
  const refusal = refusalOf(from.definition, withinUniquePrefix(column));
  if (refusal) {
    context.report([...path, 'transformer_name'], `${from.definition.name} cannot transform ${label} (${column.type}), ${reach}: ${refusal}; name a transformer for it on ${table.schema}.${table.name}`);
    return undefined;
  }
  const tableColumns = context.dumpedColumns(table);
  const kinds = columnKinds(table);
  const recipe: TransformRecipe = { ...from.recipe, column: context.shape(column, from.definition, from.recipe.options), tableColumns };
  if (kinds) recipe.kinds = kinds;
  let apply: ValueTransform;
  try {
    apply = buildColumnTransform(from.definition, recipe, { column: recipe.column, salt: context.salt, tableColumns, transformOf: context.lookup(table.schema, table.name) });
  } catch (error) {
    if (!(error instanceof ReplibyteError)) throw error;
    context.report([...path, 'transformer_options'], `${error.message} (transformer ${from.definition.name} on ${label}, ${reach})`);
    return undefined;
  }
  return {
    ...from,
    table: table.name,
    schema: table.schema,
    column,
    apply,
    recipe,
    inheritedFrom: from,
  };
}

/**
 * After the keys' propagation: a partition's (or child's) column whose nearest ancestor's column follows a
 * transformed key (a foreign key declared on the partitioned table) runs that key's very function too.
 * An entry named on the partition for that column must be the key's transformer.
 */
function inheritFollowers(
  planned: Map<string, PlannedColumn>,
  tables: TableColumns[],
  ancestorsOf: (table: NamedTableLike) => NamedTableLike[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  // Ancestors first: a table has fewer ancestors than any of its descendants.
  const ordered = [...tables].sort((a, b) => ancestorsOf(a).length - ancestorsOf(b).length);
  for (const table of ordered) {
    const ancestors = ancestorsOf(table);
    if (ancestors.length === 0) continue;
    for (const column of table.columns) {
      const from = nearestEntry(planned, ancestors, column.name, () => true);
      const root = from?.propagatedFrom;
      if (!from || !root) continue;
      const key = columnKey(table.schema, table.name, column.name);
      const own = planned.get(key);
      if (own?.propagatedFrom && !own.inheritedFrom) continue; // a foreign key of its own decides
      const label = `${table.schema}.${table.name}.${column.name}`;
      if (own && !own.inheritedFrom && (own.definition.name !== root.definition.name || own.optionsText !== root.optionsText)) {
        report([...(own.path ?? []), 'transformer_name'], `${label} is a partition or inheritance child of ${from.schema}.${from.table}, whose ${column.name} follows the key ${root.schema}.${root.table}.${root.column.name} (foreign key), transformed by ${root.definition.name} with other options: remove this entry`);
        continue;
      }
      const refusal = root.definition.refuses?.(column);
      if (refusal) {
        report(root.path ?? [], `${label} follows ${from.schema}.${from.table}.${column.name}, which references this column (foreign key), but ${root.definition.name} cannot transform it (${column.type}): ${refusal}`);
        continue;
      }
      const follower: PlannedColumn = { ...from, schema: table.schema, table: table.name, column, inheritedFrom: from.inheritedFrom ?? from };
      if (own?.path) follower.path = own.path;
      planned.set(key, follower);
    }
  }
}

/**
 * A partition's rows are what a foreign key to its partitioned table sees: an entry named on a partition
 * for a column of a referenced key must transform it as the partitioned table's entry does, or the
 * references to its rows would match nothing on restore.
 */
function checkPartitionKeys(
  planned: Map<string, PlannedColumn>,
  tables: TableColumns[],
  ancestorsOf: (table: NamedTableLike) => NamedTableLike[],
  foreignKeys: readonly ForeignKeyRef[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  const referenced = new Map<string, string>();
  for (const fk of foreignKeys) {
    for (const column of fk.referencedColumns) referenced.set(columnKey(fk.referencedSchema, fk.referencedTable, column), fk.name);
  }
  if (referenced.size === 0) return;
  for (const table of tables) {
    for (const column of table.columns) {
      const own = planned.get(columnKey(table.schema, table.name, column.name));
      if (!own || own.inheritedFrom || own.propagatedFrom) continue;
      for (const ancestor of ancestorsOf(table)) {
        const fk = referenced.get(columnKey(ancestor.schema, ancestor.name, column.name));
        if (fk === undefined) continue;
        const theirs = planned.get(columnKey(ancestor.schema, ancestor.name, column.name));
        const root = theirs?.propagatedFrom ?? theirs;
        if (!root || root.definition.name !== own.definition.name || root.optionsText !== own.optionsText) {
          const how = root ? `transforms it with ${root.definition.name}${root.definition.name === own.definition.name ? ' and other options' : ''}` : 'leaves it as it is';
          report([...(own.path ?? []), 'transformer_name'], `${table.schema}.${table.name}.${column.name} is a partition or inheritance child of ${ancestor.schema}.${ancestor.name}, whose ${column.name} is a key referenced by foreign key ${fk} and whose entry ${how}: the references to this table's rows would match nothing; name the transformer on ${ancestor.schema}.${ancestor.name} only`);
        }
        break;
      }
    }
  }
}

/**
 * A partition's rows are restored into the partition itself: a transformed value of a partition key
 * column would not satisfy the partition's bounds (or would belong to another partition), and the
 * restore would fail. Refused before a row is read.
 */
function checkPartitionKeyColumns(
  planned: Map<string, PlannedColumn>,
  tables: TableColumns[],
  ancestorsOf: (table: NamedTableLike) => NamedTableLike[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  const keys = new Map(tables.filter((t) => t.partitionKey && t.partitionKey.length > 0).map((t) => [JSON.stringify([t.schema, t.name]), t.partitionKey!]));
  if (keys.size === 0) return;
  const reported = new Set<string>();
  for (const entry of planned.values()) {
    const partitioned = [{ schema: entry.schema, name: entry.table }, ...ancestorsOf({ schema: entry.schema, name: entry.table })].find((t) =>
      keys.get(JSON.stringify([t.schema, t.name]))?.includes(entry.column.name),
    );
    if (!partitioned) continue;
    const named = entry.propagatedFrom ?? entry.inheritedFrom ?? entry;
    const message = `${partitioned.schema}.${partitioned.name}.${entry.column.name} is in the partition key of ${partitioned.schema}.${partitioned.name} (its value chooses the partition of a row): a transformed value would not fit the partition its row is restored into${entry.propagatedFrom ? `, and it follows the transformed key ${named.schema}.${named.table}.${named.column.name} (foreign key)` : ''}; leave it as it is`;
    if (reported.has(message)) continue;
    reported.add(message);
    report([...(entry.path ?? named.path ?? []), 'name'], message);
  }
}

/** Columns other than its own that an entry's condition or row options read (none: it can follow a key). */
function otherColumnsRead(entry: PlannedColumn): string[] {
  const own = entry.column.name;
  const names = [...(entry.recipe.when !== undefined ? conditionColumns(entry.recipe.when) : []), ...(entry.recipe.rowOptions ? optionReferences(entry.recipe.options).map((r) => r.name) : [])];
  return [...new Set(names.filter((name) => name !== own))];
}

/**
 * A column whose transformer reads another column's transformed value (`{ transformed: x }`, a template's
 * `{{x}}`) makes that one run first: a cycle of such reads could never finish. Refused before a row is read.
 */
function checkReadCycles(planned: Map<string, PlannedColumn>, report: (path: PropertyKey[], message: string) => void): void {
  const readsOf = (entry: PlannedColumn): string[] => {
    if (entry.definition.name === 'template') {
      const text = (entry.recipe.options as { template?: string }).template ?? '';
      return [...text.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]!);
    }
    return entry.recipe.rowOptions ? optionReferences(entry.recipe.options).filter((r) => r.from === 'transformed').map((r) => r.name) : [];
  };
  const reported = new Set<string>();
  for (const start of planned.values()) {
    if (start.propagatedFrom || start.inheritedFrom) continue;
    // Depth-first from each entry along transformed reads within its table; a path back to it is a cycle.
    const stack: Array<{ entry: PlannedColumn; trail: string[] }> = [{ entry: start, trail: [start.column.name] }];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const { entry, trail } = stack.pop()!;
      for (const name of readsOf(entry)) {
        const next = planned.get(columnKey(start.schema, start.table, name));
        if (!next) continue;
        if (next === start) {
          const cycle = [...trail, name];
          const id = `${start.schema}.${start.table}:${[...cycle.slice(0, -1)].sort().join(',')}`;
          if (!reported.has(id)) {
            reported.add(id);
            report([...(start.path ?? []), 'transformer_options'], `${start.schema}.${start.table}: the transformed values read each other in a cycle (${cycle.join(' → ')}): one of them must read the original value ({ column: … })`);
          }
          continue;
        }
        if (seen.has(name)) continue;
        seen.add(name);
        stack.push({ entry: next, trail: [...trail, name] });
      }
    }
  }
}

/**
 * The same value gets the same fake in a unique and in a plain column, so joins between them hold: a
 * transformer that keeps a unique column unique with a keyed suffix writes it in every column it is
 * named on with the same options, once one of them is unique (decision 0030). A column unique within a
 * prefix (MySQL's `UNIQUE (name(10))`) cuts the fakes of the whole family to that prefix, for the same
 * reason (decision 0038). Returns the column as the transformer is built for it.
 */
function uniqueFamilies(config: Config, tables: TableColumns[], registry: TransformerRegistry): (column: ColumnInfo, definition: TransformerDefinition<unknown>, options: unknown) => ColumnInfo {
  // Each family, with the shortest prefix one of its columns is unique within (Infinity: none).
  const families = new Map<string, number>();
  for (const entry of config.source?.transformers ?? []) {
    if (!entry) continue; // a script source plans one table with a sparse list (holes keep the config's indexes)
    const table = tables.find((t) => t.schema === unquote(entry.database) && t.name === unquote(entry.table));
    for (const columnEntry of entry.columns) {
      const column = table?.columns.find((c) => c.name === unquote(columnEntry.name));
      const definition = registry.get(columnEntry.transformer_name);
      const options = definition?.options.safeParse(columnEntry.transformer_options ?? {});
      if (!column?.unique || definition?.unique !== 'keeps' || !options?.success) continue;
      const family = `${definition.name}\0${stableJson(options.data)}`;
      const prefix = column.uniquePrefix !== undefined && column.uniquePrefix < (column.maxLength ?? Infinity) ? column.uniquePrefix : Infinity;
      families.set(family, Math.min(families.get(family) ?? Infinity, prefix));
    }
  }
  return (column, definition, options) => {
    const prefix = families.get(`${definition.name}\0${stableJson(options)}`);
    if (prefix === undefined) return withinUniquePrefix(column);
    const shaped = withinUniquePrefix({ ...column, unique: true });
    return prefix < (shaped.maxLength ?? Infinity) ? { ...shaped, maxLength: prefix } : shaped;
  };
}

function refusalOf(definition: TransformerDefinition<unknown>, column: ColumnInfo): string | undefined {
  const refusal = definition.refuses?.(column);
  if (refusal) return refusal;
  if (column.unique && definition.unique !== 'keeps') {
    return 'the column is unique and this transformer may give two rows the same value; use one that keeps values distinct (see `replibyte transformer list`)';
  }
  return undefined;
}

function propagateAlongForeignKeys(
  planned: Map<string, PlannedColumn>,
  tables: TableColumns[],
  foreignKeys: readonly ForeignKeyRef[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  // child column → the key columns it references (a column may sit in several foreign keys).
  const children = new Map<string, Array<{ schema: string; table: string; column: string; fk: string }>>();
  const parents = new Map<string, Array<{ key: string; label: string; fk: string }>>();
  for (const fk of foreignKeys) {
    fk.columns.forEach((column, i) => {
      const referenced = fk.referencedColumns[i];
      if (referenced === undefined) return;
      const parentKey = columnKey(fk.referencedSchema, fk.referencedTable, referenced);
      const list = children.get(parentKey) ?? [];
      list.push({ schema: fk.schema, table: fk.table, column, fk: fk.name });
      children.set(parentKey, list);
      const childKey = columnKey(fk.schema, fk.table, column);
      const up = parents.get(childKey) ?? [];
      up.push({ key: parentKey, label: `${fk.referencedSchema}.${fk.referencedTable}.${referenced}`, fk: fk.name });
      parents.set(childKey, up);
    });
  }

  const roots = [...planned.values()];
  for (const root of roots) {
    // Skip an entry that an earlier key's propagation replaced (same transformer on a referencing column).
    if (root.propagatedFrom || planned.get(columnKey(root.schema, root.table, root.column.name)) !== root) continue;
    const queue: PlannedColumn[] = [root];
    const seen = new Set<string>([columnKey(root.schema, root.table, root.column.name)]);
    while (queue.length > 0) {
      const parent = queue.shift()!;
      for (const child of children.get(columnKey(parent.schema, parent.table, parent.column.name)) ?? []) {
        const key = columnKey(child.schema, child.table, child.column);
        if (seen.has(key)) continue;
        seen.add(key);
        const label = `${child.schema}.${child.table}.${child.column}`;
        const existing = planned.get(key);
        if (existing && !existing.propagatedFrom) {
          if (existing.definition.name !== root.definition.name || existing.optionsText !== root.optionsText) {
            report([...(existing.path ?? []), 'transformer_name'], `${label} references ${parent.schema}.${parent.table}.${parent.column.name} (foreign key ${child.fk}), which is transformed by ${root.definition.name} with other options: a referencing column gets its key's transformation automatically, remove this entry`);
            continue;
          }
        } else if (existing?.propagatedFrom && existing.propagatedFrom !== root) {
          report(root.path ?? [], `${label} references two transformed keys (${existing.propagatedFrom.schema}.${existing.propagatedFrom.table}.${existing.propagatedFrom.column.name} and ${root.schema}.${root.table}.${root.column.name}): it cannot follow both`);
          continue;
        }
        if (root.definition.name === 'template') {
          report(root.path ?? [], `${label} references this column (foreign key ${child.fk}): a template reads other columns of its own row, so it cannot be carried to a referencing table; transform the key with a transformer of its value`);
          continue;
        }
        const reads = otherColumnsRead(root);
        if (reads.length > 0) {
          report(root.path ?? [], `${label} references this column (foreign key ${child.fk}): its ${root.recipe.when !== undefined && conditionColumns(root.recipe.when).some((c) => c !== root.column.name) ? 'condition' : 'options'} read${reads.length === 1 ? 's' : ''} ${reads.join(', ')} of its own row, which a referencing table does not have, so the key's new values could not be matched; read only the key's own value there`);
          continue;
        }
        const table = tables.find((t) => t.schema === child.schema && t.name === child.table);
        const column = table?.columns.find((c) => c.name === child.column);
        if (!column) continue;
        const refusal = root.definition.refuses?.(column);
        if (refusal) {
          report(root.path ?? [], `${label} references this column (foreign key ${child.fk}) and must get the same transformation, but ${root.definition.name} cannot transform it (${column.type}): ${refusal}`);
          continue;
        }
        // The key's own function: the same value gives the same output in the key and in its references.
        const follower: PlannedColumn = { ...root, schema: child.schema, table: child.table, column, propagatedFrom: root };
        if (existing?.path) follower.path = existing.path;
        else delete follower.path;
        planned.set(key, follower);
        queue.push(follower);
      }
    }
  }

  // A transformed referencing column whose key is left as it is would no longer match any key.
  for (const [key, entry] of planned) {
    if (entry.propagatedFrom || FK_NEUTRAL.has(entry.definition.name)) continue;
    for (const parent of parents.get(key) ?? []) {
      if (!planned.has(parent.key)) {
        report([...(entry.path ?? []), 'name'], `${entry.schema}.${entry.table}.${entry.column.name} references ${parent.label} (foreign key ${parent.fk}), which is not transformed: transform ${parent.label} instead, and its referencing columns follow`);
      }
    }
  }
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
