import type { Config } from '../config/load.js';
import { formatKeyPath } from '../config/load.js';
import type { TableRef } from '../config/schema.js';
import { ReplibyteError } from '../errors.js';
import { tableAncestry, type TreeTable } from './table-tree.js';

export interface NamedTable {
  schema: string;
  name: string;
}

/** Which tables a dump leaves out entirely, and which it keeps without rows. */
export interface TableSelection {
  excluded: NamedTable[];
  withoutData: NamedTable[];
  isExcluded(table: NamedTable): boolean;
  hasData(table: NamedTable): boolean;
}

/** A config name: `"Users"` (quoted as the original required for mixed case) means `Users`. */
export function unquote(name: string): string {
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

/** `*` matches any run of characters; everything else is literal. */
export function matcher(pattern: string): (name: string) => boolean {
  const literal = unquote(pattern);
  if (!pattern.includes('*')) return (name) => name === literal;
  const regex = new RegExp(`^${literal.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (name) => regex.test(name);
}

function refMatcher(ref: TableRef): (table: NamedTable) => boolean {
  const schema = matcher(ref.database);
  const name = matcher(ref.table);
  return (table) => schema(table.schema) && name(table.name);
}

/**
 * Resolves `skip`, `skip_data` and `only_tables` against the source's tables. Every entry must match at
 * least one table: a skip that matches nothing lets through the data it was meant to keep out.
 * An entry that names a table (partitioned or an inheritance parent) applies to its partitions and
 * inheritance children too, at every level (`parents`, see table-tree.ts).
 */
export function selectTables(config: Config, tables: TreeTable[], describeSource: string): TableSelection {
  const problems: string[] = [];
  const ancestorsOf = tableAncestry(tables);
  const matchAll = (key: 'skip' | 'skip_data' | 'only_tables') =>
    (config.source?.[key] ?? []).map((ref, index) => {
      const matches = refMatcher(ref);
      const named = tables.filter(matches);
      const hits = tables.filter((table) => matches(table) || ancestorsOf(table).some(matches));
      if (named.length === 0) {
        const place = config.locate(['source', key, index]);
        const at = place ? `${config.origin}:${place.line}:${place.column}: ` : '';
        problems.push(`${at}${formatKeyPath(['source', key, index])}: no table ${ref.database}.${ref.table} in ${describeSource}`);
      }
      return hits;
    });
  const skipped = new Set(matchAll('skip').flat());
  const only = config.source?.only_tables;
  const onlyHits = new Set(matchAll('only_tables').flat());
  const withoutData = new Set(matchAll('skip_data').flat());
  if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  const excluded = tables.filter((table) => skipped.has(table) || (only !== undefined && only.length > 0 && !onlyHits.has(table)));
  const excludedSet = new Set(excluded);
  return {
    excluded,
    withoutData: [...withoutData].filter((table) => !excludedSet.has(table)),
    isExcluded: (table) => excluded.some((t) => t.schema === table.schema && t.name === table.name),
    hasData: (table) =>
      !excluded.some((t) => t.schema === table.schema && t.name === table.name) &&
      ![...withoutData].some((t) => t.schema === table.schema && t.name === table.name),
  };
}
