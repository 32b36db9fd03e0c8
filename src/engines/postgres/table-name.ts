/** A table as a script names it: unquoted names folded to lower case, quoted ones exact. */
export interface TableName {
  schema: string;
  name: string;
}

/**
 * `[schema, name]` from a dotted name. An unqualified name is taken to be in `public`: pg_dump
 * qualifies every name (it sets an empty search_path), so only hand-written scripts rely on this.
 */
export function tableOf(parts: string[]): TableName {
  if (parts.length >= 2) return { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! };
  return { schema: 'public', name: parts[0]! };
}

export function tableLabel(table: TableName): string {
  return `${table.schema}.${table.name}`;
}

export function sameTable(a: TableName, b: TableName): boolean {
  return a.schema === b.schema && a.name === b.name;
}
