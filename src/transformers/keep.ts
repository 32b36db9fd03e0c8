import { formatKeyPath, type Config, type ConfigProblem } from '../config/load.js';
import { unquote } from '../selection/table-selection.js';

interface NamedColumns {
  schema: string;
  name: string;
  columns: Array<{ name: string; generated?: boolean }>;
}

/**
 * `source.keep` against the source's tables: every table and column it names must exist (a keep that
 * names nothing hides a column that is still undecided), and a column cannot be both kept as it is and
 * transformed.
 */
export function checkKeepEntries(config: Config, tables: readonly NamedColumns[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report = (path: PropertyKey[], message: string) => problems.push({ keyPath: formatKeyPath(path), message, ...config.locate(path) });
  const transformed = new Map<string, number>();
  (config.source?.transformers ?? []).forEach((entry, index) => {
    for (const column of entry.columns) transformed.set(JSON.stringify([unquote(entry.database), unquote(entry.table), unquote(column.name)]), index);
  });
  (config.source?.keep ?? []).forEach((entry, tableIndex) => {
    const schema = unquote(entry.database);
    const name = unquote(entry.table);
    const table = tables.find((t) => t.schema === schema && t.name === name);
    if (!table) {
      report(['source', 'keep', tableIndex, 'table'], `no table ${schema}.${name} in the source`);
      return;
    }
    entry.columns.forEach((written, columnIndex) => {
      const path = ['source', 'keep', tableIndex, 'columns', columnIndex];
      const columnName = unquote(written);
      const column = table.columns.find((c) => c.name === columnName);
      if (!column) {
        const close = table.columns.find((c) => c.name.toLowerCase() === columnName.toLowerCase());
        report(path, `no column ${columnName} in ${schema}.${name}${close ? ` (did you mean "${close.name}"?)` : ''}`);
        return;
      }
      const transformer = transformed.get(JSON.stringify([schema, name, columnName]));
      if (transformer !== undefined) {
        report(path, `${schema}.${name}.${columnName} is also transformed (source.transformers[${transformer}]): keep it as it is or transform it, not both`);
      }
    });
  });
  return problems;
}
