import { mysqlColumnInfo } from '../../engines/mysql/column-types.js';
import { columnChecks, uniqueColumns, type UniqueKeyPart } from '../../engines/mysql/constraints.js';
import type { ColumnInfo } from '../../transformers/transformer.js';

export interface ScriptTable {
  name: string;
  columns: Array<ColumnInfo & { generated: boolean }>;
}

const CREATE = /^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?!!)[\s\S]*?\*\/)*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:`(?:[^`]|``)*`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)*`|[\w$]+))?)\s*\(/i;
const NOT_A_COLUMN = /^(PRIMARY|KEY|INDEX|UNIQUE|CONSTRAINT|FOREIGN|FULLTEXT|SPATIAL|CHECK|PERIOD)\b/i;

/** The columns of a `CREATE TABLE` as SHOW CREATE TABLE (and so mysqldump) writes it; undefined for other statements. */
export function parseCreateTable(sql: string, schema: string): ScriptTable | undefined {
  const match = CREATE.exec(sql);
  if (!match) return undefined;
  const name = lastIdentifier(match[1]!);
  const items = splitTopLevel(sql, match[0].length);
  const definitions: Array<{ name: string; type: string; rest: string }> = [];
  for (const item of items) {
    if (NOT_A_COLUMN.test(item)) continue;
    const column = /^(`(?:[^`]|``)*`|[\w$]+)\s+([a-z]+(?:\s*\((?:[^()']|'(?:[^'\\]|\\.|'')*')*\))?(?:\s+(?:unsigned|signed|zerofill))*)/i.exec(item);
    if (column) definitions.push({ name: lastIdentifier(column[1]!), type: column[2]!, rest: item.slice(column[0].length) });
  }
  const tableColumns = definitions.map((d) => ({ table: name, name: d.name, generated: generatedExpression(d.rest) }));
  // Every column of a unique key, multi-column ones too (two rows must not become equal in all of them),
  // with its prefix length, and the columns a generated key column reads (constraints.ts).
  const parts = items.flatMap((item) => uniqueKeyParts(item, name));
  for (const d of definitions) if (/\b(UNIQUE|PRIMARY\s+KEY)\b/i.test(withoutChecks(d.rest))) parts.push({ table: name, column: d.name });
  const unique = uniqueColumns(parts, tableColumns);
  // CHECKs: a table's `CONSTRAINT c CHECK (…)` items and MariaDB's column-level `CHECK (…)`.
  const checkRows = [...items.filter((item) => NOT_A_COLUMN.test(item)).flatMap((item) => checkClauses(item)), ...definitions.flatMap((d) => checkClauses(d.rest))].map((clause) => ({ table: name, clause }));
  const checks = columnChecks(checkRows, tableColumns);
  const columns: ScriptTable['columns'] = definitions.map((d) => {
    const constraint = unique.get(`${name}\0${d.name}`);
    const own = checks.get(`${name}\0${d.name}`) ?? [];
    const json = /^\s*(long)?text\b/i.test(d.type) && own.some((check) => /^\(?json_valid\(`(?:[^`]|``)*`\)\)?$/i.test(check));
    return {
      ...mysqlColumnInfo(schema, name, d.name, d.type, {
        unique: constraint !== undefined,
        ...(constraint?.prefix !== undefined && { uniquePrefix: constraint.prefix }),
        json,
        notNull: /\bNOT\s+NULL\b|\bPRIMARY\s+KEY\b/i.test(withoutChecks(d.rest)),
        checks: own,
      }),
      generated: /\bGENERATED\s+ALWAYS\b|^\s*AS\s*\(/i.test(d.rest),
    };
  });
  return { name, columns };
}

/** The key parts of a `UNIQUE KEY name (a, b(10), (lower(c)))` or `PRIMARY KEY (…)` item. */
function uniqueKeyParts(item: string, table: string): UniqueKeyPart[] {
  const head = /^(?:UNIQUE(?:\s+(?:KEY|INDEX))?|PRIMARY\s+KEY)\s*(?:`(?:[^`]|``)*`\s*|(?!USING\b)\w+\s*)?\(/i.exec(item);
  if (!head) return [];
  return splitTopLevel(item, head[0].length).map((part) => {
    const keyPart = /^(`(?:[^`]|``)*`|\w+)\s*(?:\((\d+)\))?/.exec(part);
    if (part.startsWith('(') || !keyPart) return { table, column: null, expression: part };
    return { table, column: lastIdentifier(keyPart[1]!), ...(keyPart[2] !== undefined && { subPart: Number(keyPart[2]) }) };
  });
}

/** The expressions of the `CHECK (…)` clauses of a column definition's tail or of a table item. */
function checkClauses(text: string): string[] {
  const clauses: string[] = [];
  for (const match of text.matchAll(/\bCHECK\s*\(/gi)) {
    const inside = splitTopLevel(text, match.index + match[0].length, false);
    if (inside[0] !== undefined) clauses.push(inside[0]);
  }
  return clauses;
}

/** A column definition's tail without its CHECK clauses (whose text could say UNIQUE or NOT NULL). */
function withoutChecks(rest: string): string {
  const at = rest.search(/\bCHECK\s*\(/i);
  return at === -1 ? rest : rest.slice(0, at);
}

/** `GENERATED ALWAYS AS (expr)` or `AS (expr)`: the expression, else undefined. */
function generatedExpression(rest: string): string | undefined {
  const match = /(?:\bGENERATED\s+ALWAYS\s+)?\bAS\s*\(/i.exec(rest);
  return match ? splitTopLevel(rest, match.index + match[0].length, false)[0] : undefined;
}

function lastIdentifier(text: string): string {
  const parts = [...text.matchAll(/`((?:[^`]|``)*)`|([\w$]+)/g)];
  const last = parts.at(-1)!;
  return last[1] !== undefined ? last[1].replaceAll('``', '`') : last[2]!;
}

/**
 * The comma-separated items inside the parentheses that open before `from`, quotes and nesting
 * respected (`commas: false`: the whole text inside, as one item).
 */
function splitTopLevel(sql: string, from: number, commas = true): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < sql.length; i += 1) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (i += 1; i < sql.length && sql[i] !== c; i += 1) if (sql[i] === '\\' && c !== '`') i += 1;
      continue;
    }
    if (c === '(') depth += 1;
    else if (c === ')') {
      if (depth === 0) {
        items.push(sql.slice(start, i).trim());
        return items;
      }
      depth -= 1;
    } else if (c === ',' && depth === 0 && commas) {
      items.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  return items;
}
