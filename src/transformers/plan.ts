import type { Config, ConfigProblem } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import type { ColumnTransform, TransformRecipe, ValueTransform } from '../encode/copy-row-transform.js';
import { ReplibyteError } from '../errors.js';
import { unquote } from '../selection/table-selection.js';
import { checkKeepEntries } from './keep.js';
import type { TransformerRegistry } from './registry.js';
import type { ColumnInfo, TransformerDefinition } from './transformer.js';
import type { ForeignKey } from '../selection/foreign-key.js';

export interface TableColumns {
  schema: string;
  name: string;
  columns: Array<ColumnInfo & { generated?: boolean }>;
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
}

/**
 * Checks every transformer entry of the config against the source's schema and builds the per-table
 * transforms. All problems are reported at once, each with its place in the YAML, before a row is read.
 *
 * Keys stay keys: a transformed column referenced by foreign keys hands its very function (built for the
 * key's column) to every referencing column, transitively, so transformed children still match their
 * transformed parents. A referencing column configured with another transformer is refused, and so is a
 * transformed referencing column whose key is left as it is (its rows could not be restored).
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

  (config.source?.transformers ?? []).forEach((entry, tableIndex) => {
    const schema = unquote(entry.database);
    const name = unquote(entry.table);
    const table = tables.find((t) => t.schema === schema && t.name === name);
    if (!table) {
      report(['source', 'transformers', tableIndex, 'table'], `no table ${schema}.${name} in the source${suggest(name, tables.filter((t) => t.schema === schema).map((t) => t.name))}`);
      return;
    }
    const columns = dumpedColumns(table);
    entry.columns.forEach((columnEntry, columnIndex) => {
      const path = ['source', 'transformers', tableIndex, 'columns', columnIndex];
      const columnName = unquote(columnEntry.name);
      const column = table.columns.find((c) => c.name === columnName);
      if (!column) {
        report([...path, 'name'], `no column ${columnName} in ${schema}.${name}${suggest(columnName, table.columns.map((c) => c.name))}`);
        return;
      }
      if (column.generated) {
        report([...path, 'name'], `${schema}.${name}.${columnName} is a generated column: it is computed on restore, transform its inputs instead`);
        return;
      }
      const definition = registry.get(columnEntry.transformer_name);
      if (!definition) {
        report([...path, 'transformer_name'], `unknown transformer ${columnEntry.transformer_name} (see \`replibyte transformer list\`)`);
        return;
      }
      const options = definition.options.safeParse(columnEntry.transformer_options ?? {});
      if (!options.success) {
        const issue = options.error.issues[0];
        report([...path, 'transformer_options', ...(issue?.path ?? [])], `${issue?.message ?? 'invalid options'} (transformer ${definition.name})`);
        return;
      }
      const refusal = refusalOf(definition, column);
      if (refusal) {
        report([...path, 'transformer_name'], `${definition.name} cannot transform ${schema}.${name}.${columnName} (${column.type}): ${refusal}`);
        return;
      }
      let apply: ValueTransform;
      try {
        apply = definition.create(options.data, { column, salt, tableColumns: columns, transformOf: lookup(schema, name) });
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
        optionsText: stableJson(options.data),
        apply,
        recipe: { transformer: definition.name, options: options.data, column, tableColumns: columns, salt },
        path,
      });
    });
  });

  propagateAlongForeignKeys(planned, tables, foreignKeys, report);
  problems.push(...checkKeepEntries(config, tables));

  const plan: TransformPlan = { tables: new Map(), transformed: [] };
  for (const entry of planned.values()) {
    const table = tables.find((t) => t.schema === entry.schema && t.name === entry.table)!;
    const index = dumpedColumns(table).indexOf(entry.column.name);
    const key = tableKey(entry.schema, entry.table);
    const tablePlan = plan.tables.get(key) ?? { transforms: [] };
    tablePlan.transforms.push({ index, apply: entry.apply, recipe: entry.recipe });
    plan.tables.set(key, tablePlan);
    const root = entry.propagatedFrom;
    plan.transformed.push({
      schema: entry.schema,
      table: entry.table,
      column: entry.column.name,
      transformer: entry.definition.name,
      ...(root && { propagatedFrom: `${root.schema}.${root.table}.${root.column.name}` }),
      options: entry.recipe.options ?? {},
      algorithm: algorithmOf(entry.definition),
    });
  }
  return { plan, problems };
}

export function algorithmOf(definition: Pick<TransformerDefinition<unknown>, 'name' | 'version'>): string {
  return `${definition.name}@${definition.version ?? 1}`;
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

function suggest(name: string, candidates: string[]): string {
  const lower = name.toLowerCase();
  const close = candidates.find((c) => c.toLowerCase() === lower);
  return close ? ` (did you mean "${close}"?)` : '';
}
