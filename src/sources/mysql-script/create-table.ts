import { mysqlColumnInfo } from '../../engines/mysql/column-types.js';
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
  const uniques = new Set<string>();
  for (const item of items) {
    // Every column of a unique key, multi-column ones too (two rows must not become equal in all of them).
    const unique = /^(?:UNIQUE\s+(?:KEY|INDEX)?|PRIMARY\s+KEY)\s*(?:`(?:[^`]|``)*`\s*|\w+\s*)?\(([^)]*(?:\(\d+\)[^)]*)*)\)/i.exec(item);
    for (const part of unique ? splitTopLevel(`${unique[1]!})`, 0) : []) {
      const name = /^(`(?:[^`]|``)*`|\w+)/.exec(part)?.[1];
      if (name) uniques.add(lastIdentifier(name));
    }
  }
  const columns: ScriptTable['columns'] = [];
  for (const item of items) {
    if (NOT_A_COLUMN.test(item)) continue;
    const column = /^(`(?:[^`]|``)*`|[\w$]+)\s+([a-z]+(?:\s*\((?:[^()']|'(?:[^'\\]|\\.|'')*')*\))?(?:\s+(?:unsigned|signed|zerofill))*)/i.exec(item);
    if (!column) continue;
    const columnName = lastIdentifier(column[1]!);
    const rest = item.slice(column[0].length);
    const json = /^\s*(long)?text\b/i.test(column[2]!) && new RegExp(`CHECK\\s*\\(\\s*json_valid\\(\\s*${escapeRegExp(column[1]!)}\\s*\\)\\s*\\)`, 'i').test(rest);
    columns.push({
      ...mysqlColumnInfo(schema, name, columnName, column[2]!, {
        unique: uniques.has(columnName) || /\b(UNIQUE|PRIMARY\s+KEY)\b/i.test(rest),
        json,
        notNull: /\bNOT\s+NULL\b|\bPRIMARY\s+KEY\b/i.test(rest),
      }),
      generated: /\bGENERATED\s+ALWAYS\b|^\s*AS\s*\(/i.test(rest),
    });
  }
  return { name, columns };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function lastIdentifier(text: string): string {
  const parts = [...text.matchAll(/`((?:[^`]|``)*)`|([\w$]+)/g)];
  const last = parts.at(-1)!;
  return last[1] !== undefined ? last[1].replaceAll('``', '`') : last[2]!;
}

/** The comma-separated items inside the table's parentheses, quotes and nesting respected. */
function splitTopLevel(sql: string, from: number): string[] {
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
    } else if (c === ',' && depth === 0) {
      items.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  return items;
}
