import type { Config, ConfigProblem } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import type { ColumnTransform } from '../encode/copy-row-transform.js';
import { ReplibyteError } from '../errors.js';
import { unquote } from '../selection/table-selection.js';
import type { TransformerRegistry } from './registry.js';
import type { ColumnInfo } from './transformer.js';

export interface TableColumns {
  schema: string;
  name: string;
  columns: Array<ColumnInfo & { generated?: boolean }>;
}

export interface TableTransformPlan {
  /** Transforms by column position in the table's dumped column list. */
  transforms: ColumnTransform[];
}

export interface TransformedColumn {
  schema: string;
  table: string;
  column: string;
  transformer: string;
}

export interface TransformPlan {
  /** Keyed by `schema.table` (unquoted). */
  tables: Map<string, TableTransformPlan>;
  transformed: TransformedColumn[];
}

export function tableKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

/**
 * Checks every transformer entry of the config against the source's schema and builds the per-table
 * transforms. All problems are reported at once, each with its place in the YAML, before a row is read.
 */
export function planTransforms(
  config: Config,
  tables: TableColumns[],
  registry: TransformerRegistry,
  salt: Buffer,
  dumpedColumns: (table: TableColumns) => string[],
): TransformPlan {
  const { plan, problems } = checkTransforms(config, tables, registry, salt, dumpedColumns);
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
): { plan: TransformPlan; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const plan: TransformPlan = { tables: new Map(), transformed: [] };
  const report = (path: PropertyKey[], message: string) => {
    problems.push({ keyPath: formatKeyPath(path), message, ...config.locate(path) });
  };

  (config.source?.transformers ?? []).forEach((entry, tableIndex) => {
    const schema = unquote(entry.database);
    const name = unquote(entry.table);
    const table = tables.find((t) => t.schema === schema && t.name === name);
    if (!table) {
      report(['source', 'transformers', tableIndex, 'table'], `no table ${schema}.${name} in the source${suggest(name, tables.filter((t) => t.schema === schema).map((t) => t.name))}`);
      return;
    }
    const columns = dumpedColumns(table);
    const key = tableKey(schema, name);
    const tablePlan = plan.tables.get(key) ?? { transforms: [] };
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
      const refusal = definition.refuses?.(column);
      if (refusal) {
        report([...path, 'transformer_name'], `${definition.name} cannot transform ${schema}.${name}.${columnName}: ${refusal}`);
        return;
      }
      const index = columns.indexOf(columnName);
      // A column listed twice: the last entry wins, as in the original.
      tablePlan.transforms = tablePlan.transforms.filter((t) => t.index !== index);
      plan.transformed = plan.transformed.filter((t) => !(t.schema === schema && t.table === name && t.column === columnName));
      tablePlan.transforms.push({ index, apply: definition.create(options.data, { column, salt }) });
      plan.transformed.push({ schema, table: name, column: columnName, transformer: definition.name });
    });
    plan.tables.set(key, tablePlan);
  });

  return { plan, problems };
}

function suggest(name: string, candidates: string[]): string {
  const lower = name.toLowerCase();
  const close = candidates.find((c) => c.toLowerCase() === lower);
  return close ? ` (did you mean "${close}"?)` : '';
}
