/*
 * What MySQL's and MariaDB's catalog rows say constrains a column, as pure functions of those rows (so
 * the MySQL 8 paths are tested without a MySQL 8 server): which columns a unique index makes unique,
 * and which CHECKs read a column alone. Used by the live catalog (catalog.ts) and by a script's
 * CREATE TABLE (src/sources/mysql-script/create-table.ts).
 */

/** One key part of a unique index (information_schema.STATISTICS with NON_UNIQUE = 0). */
export interface UniqueKeyPart {
  table: string;
  /** NULL for a MySQL 8 functional key part (`UNIQUE ((lower(email)))`). */
  column: string | null;
  /** `UNIQUE (name(10))`: only the first 10 characters must be unique. */
  subPart?: number | null;
  /** A functional key part's expression (MySQL 8.0.13+: STATISTICS.EXPRESSION). */
  expression?: string | null;
}

/** A column as the catalog lists it, with its generation expression when it is generated. */
export interface TableColumn {
  table: string;
  name: string;
  generated?: string | null;
}

/** How a unique index constrains a column: `prefix` when only its first characters must be unique. */
export interface UniqueConstraint {
  prefix?: number;
}

/**
 * The columns a transformer must keep distinct, by `table\0column`: every key part's column; the
 * columns a functional key part reads (MySQL 8); the columns a generated key column is computed from
 * (MariaDB has no functional key parts: `UNIQUE (lower_email)` on a virtual column is how it writes
 * them). A column in a prefix index keeps the shortest prefix it is unique within.
 */
export function uniqueColumns(parts: readonly UniqueKeyPart[], columns: readonly TableColumn[]): Map<string, UniqueConstraint> {
  const found = new Map<string, UniqueConstraint>();
  const add = (table: string, column: string, prefix?: number) => {
    const key = `${table}\0${column}`;
    const known = found.get(key);
    const shortest = [known?.prefix, prefix].filter((p): p is number => p !== undefined);
    // A full-column unique index adds nothing to a prefix one: the prefix is the stronger constraint.
    found.set(key, shortest.length > 0 ? { prefix: Math.min(...shortest) } : {});
  };
  const byTable = new Map<string, TableColumn[]>();
  for (const column of columns) byTable.set(column.table, [...(byTable.get(column.table) ?? []), column]);
  const readBy = (table: string, expression: string) => {
    const names = new Set(identifiersIn(expression));
    return (byTable.get(table) ?? []).filter((c) => names.has(c.name)).map((c) => c.name);
  };
  for (const part of parts) {
    if (part.column === null) {
      for (const name of readBy(part.table, part.expression ?? '')) add(part.table, name);
      continue;
    }
    add(part.table, part.column, part.subPart ?? undefined);
    const generated = byTable.get(part.table)?.find((c) => c.name === part.column)?.generated;
    if (generated) for (const name of readBy(part.table, generated)) if (name !== part.column) add(part.table, name);
  }
  return found;
}

/** A CHECK constraint's clause and its table (information_schema.CHECK_CONSTRAINTS). */
export interface CheckRow {
  table: string;
  clause: string;
}

/**
 * The CHECKs that read one column and no other, by `table\0column`, as the server prints them. Only
 * those can be evaluated on a value without its row (fixed-values.ts) or bound a fake's length.
 */
export function columnChecks(checks: readonly CheckRow[], columns: readonly TableColumn[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const names = new Map<string, Set<string>>();
  for (const column of columns) names.set(column.table, (names.get(column.table) ?? new Set()).add(column.name));
  for (const check of checks) {
    const read = new Set(identifiersIn(check.clause).filter((name) => names.get(check.table)?.has(name)));
    if (read.size !== 1) continue;
    const key = `${check.table}\0${[...read][0]!}`;
    found.set(key, [...(found.get(key) ?? []), check.clause]);
  }
  return found;
}

/** `char_length(`code`) <= 10`, MySQL 8's `(char_length(`code`) < 11)`, `octet_length(`b`) < 8` (MariaDB's `length`). */
const LENGTH_CHECK = /^\(*\s*(char_length|character_length|octet_length|length)\s*\(\s*`((?:[^`]|``)+)`\s*\)\s*(<=|<)\s*(\d+)\s*\)*$/i;

/**
 * The most characters and bytes the CHECKs let a column hold: `char_length` counts characters,
 * `length` and `octet_length` count bytes (MariaDB prints `length` as `octet_length`).
 */
export function lengthBounds(checks: readonly string[], column: string): { characters?: number; bytes?: number } {
  const bounds: { characters?: number; bytes?: number } = {};
  for (const check of checks) {
    const match = LENGTH_CHECK.exec(check.trim());
    if (!match || match[2]!.replaceAll('``', '`') !== column) continue;
    const bound = Number(match[4]) - (match[3] === '<' ? 1 : 0);
    const kind = /^(char_length|character_length)$/i.test(match[1]!) ? 'characters' : 'bytes';
    bounds[kind] = Math.min(bounds[kind] ?? Infinity, bound);
  }
  return bounds;
}

/** The backquoted identifiers of an expression as the server prints it, string literals skipped. */
export function identifiersIn(expression: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < expression.length; i += 1) {
    const c = expression[i]!;
    if (c === "'" || c === '"') {
      // A string: '' or \' inside it do not end it.
      for (i += 1; i < expression.length; i += 1) {
        if (expression[i] === '\\') i += 1;
        else if (expression[i] === c && expression[i + 1] === c) i += 1;
        else if (expression[i] === c) break;
      }
    } else if (c === '`') {
      let name = '';
      for (i += 1; i < expression.length; i += 1) {
        if (expression[i] === '`' && expression[i + 1] === '`') {
          name += '`';
          i += 1;
        } else if (expression[i] === '`') break;
        else name += expression[i];
      }
      found.push(name);
    }
  }
  return found;
}
