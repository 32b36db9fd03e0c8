import type { Config, ConfigProblem } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import { unquote } from '../selection/table-selection.js';
import { ReplibyteError } from '../errors.js';
import { constant } from './builtin/constant.js';
import { formatPlanProblem, type TransformedColumn } from './plan.js';
import type { ColumnInfo } from './transformer.js';

/**
 * Values a transformer writes whatever the row (`constant`'s `value`), to be parsed by the source's own
 * engine before a row is read: a uuid, a date, an inet, an array, JSON, a numeric(p,s) that overflows, a
 * domain's or a CHECK's condition — whatever the column's type refuses, the restore would refuse, so
 * `config check` and `dump create` refuse it first. The engines answer in src/engines/<engine>/value-check.ts.
 */
export interface FixedValue {
  column: ColumnInfo;
  value: string;
}

/** The engine's verdict on a value: undefined when the column takes it, else why not (its own words). */
export type FixedValueCheck = (values: readonly FixedValue[]) => Promise<Array<string | undefined>>;

export async function checkFixedValues(
  config: Config,
  tables: ReadonlyArray<{ schema: string; name: string; columns: readonly ColumnInfo[] }>,
  transformed: readonly TransformedColumn[],
  check: FixedValueCheck,
): Promise<ConfigProblem[]> {
  const found: Array<FixedValue & { path: PropertyKey[] }> = [];
  for (const entry of transformed) {
    const column = tables.find((t) => t.schema === entry.schema && t.name === entry.table)?.columns.find((c) => c.name === entry.column);
    const value = column && fixedValueOf(entry, column);
    if (!column || value === undefined) continue;
    found.push({ column, value, path: entryPath(config, entry) });
  }
  if (found.length === 0) return [];
  const verdicts = await check(found);
  const problems: ConfigProblem[] = [];
  found.forEach((item, i) => {
    const refusal = verdicts[i];
    if (refusal === undefined) return;
    const at = [...item.path, 'transformer_options', 'value'];
    const label = `${item.column.schema}.${item.column.table}.${item.column.name}`;
    problems.push({ keyPath: formatKeyPath(at), message: `value "${item.value}" cannot be stored in ${label} (${item.column.type}): ${refusal}`, ...config.locate(at) });
  });
  return problems;
}

/** checkFixedValues for a dump: every refusal at once, in one error, before a row is read. */
export async function refuseFixedValues(
  config: Config,
  tables: ReadonlyArray<{ schema: string; name: string; columns: readonly ColumnInfo[] }>,
  transformed: readonly TransformedColumn[],
  check: FixedValueCheck,
): Promise<void> {
  const problems = await checkFixedValues(config, tables, transformed, check);
  if (problems.length > 0) throw new ReplibyteError(problems.map((problem) => formatPlanProblem(config.origin, problem)).join('\n'));
}

/** What `constant` writes into this column (a MySQL BOOLEAN takes `true` as 1): its own function, run once. */
function fixedValueOf(entry: TransformedColumn, column: ColumnInfo): string | undefined {
  if (entry.transformer !== 'constant') return undefined;
  const apply = constant.create(constant.options.parse(entry.options), { column, salt: Buffer.alloc(0) });
  return apply('', { get: () => null }) ?? undefined;
}

/** Where the entry that decided this column is written: its own, its key's (foreign key), or its parent table's. */
function entryPath(config: Config, entry: TransformedColumn): PropertyKey[] {
  const [schema, table, column] = entry.propagatedFrom
    ? splitLabel(entry.propagatedFrom)
    : entry.inheritedFrom
      ? [...splitLabel(`${entry.inheritedFrom}.${entry.column}`)]
      : [entry.schema, entry.table, entry.column];
  let found: PropertyKey[] = ['source', 'transformers'];
  (config.source?.transformers ?? []).forEach((tableEntry, t) => {
    if (unquote(tableEntry.database) !== schema || unquote(tableEntry.table) !== table) return;
    tableEntry.columns.forEach((columnEntry, c) => {
      if (unquote(columnEntry.name) === column) found = ['source', 'transformers', t, 'columns', c];
    });
  });
  return found;
}

/** `schema.table.column` → its parts (names with dots are matched from the known column name). */
function splitLabel(label: string): [string, string, string] {
  const first = label.indexOf('.');
  const last = label.lastIndexOf('.');
  return [label.slice(0, first), label.slice(first + 1, last), label.slice(last + 1)];
}
