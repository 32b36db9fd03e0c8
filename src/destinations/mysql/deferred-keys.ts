/**
 * A live dump's CREATE TABLE (SHOW CREATE TABLE's text) split in three: the table with its columns,
 * primary key, FULLTEXT/SPATIAL indexes and CHECK constraints, to create before the rows; its other
 * indexes (KEY, UNIQUE KEY), added in one ALTER TABLE once the rows are in, where InnoDB builds each
 * by sorting instead of updating it row by row; and its foreign keys, added last, with FOREIGN_KEY_CHECKS=0
 * (in place, without reading the rows, as loading them with checks off never checked them either).
 *
 * Only plain InnoDB tables with a primary key are split: without one, InnoDB would make a unique
 * NOT NULL key added later the clustered index and rebuild the table; a partitioned table, another
 * engine, or a statement not in SHOW CREATE TABLE's shape is left as it is (`undefined`).
 */
export interface DeferredKeys {
  table: string;
  /** The statement to run before the rows: the original, without the deferred items. */
  create: string;
  /** `ALTER TABLE t ADD KEY …, ADD UNIQUE KEY …`, or undefined when the table has none. */
  indexes: string | undefined;
  /** `ALTER TABLE t ADD CONSTRAINT … FOREIGN KEY …`, or undefined. */
  foreignKeys: string | undefined;
}

const HEAD = /^((?:\s*(?:--[^\n]*|#[^\n]*)?\n)*\s*)CREATE TABLE (`(?:[^`]|``)*`) \(/;
const INDEX = /^(?:UNIQUE )?KEY `/;
const FOREIGN_KEY = /^CONSTRAINT `(?:[^`]|``)*` FOREIGN KEY /;

export function deferKeys(statement: string): DeferredKeys | undefined {
  const head = HEAD.exec(statement);
  if (!head) return undefined;
  const bodyStart = head[0].length;
  const split = topLevelItems(statement, bodyStart);
  if (!split) return undefined;
  const tail = statement.slice(split.end);
  if (!/^\)\s*ENGINE=InnoDB\b/i.test(tail) || /\bPARTITION\b/i.test(tail)) return undefined;
  const items = split.items.map((item) => item.trim());
  if (!items.some((item) => item.startsWith('PRIMARY KEY '))) return undefined;
  const indexes = items.filter((item) => INDEX.test(item));
  const foreignKeys = items.filter((item) => FOREIGN_KEY.test(item));
  if (indexes.length === 0 && foreignKeys.length === 0) return undefined;
  const kept = items.filter((item) => !INDEX.test(item) && !FOREIGN_KEY.test(item));
  const name = head[2]!;
  const table = name.slice(1, -1).replaceAll('``', '`');
  const alter = (list: string[]) => (list.length === 0 ? undefined : `ALTER TABLE ${name} ${list.map((item) => `ADD ${item}`).join(', ')}`);
  return {
    table,
    create: `${head[1]}CREATE TABLE ${name} (\n  ${kept.join(',\n  ')}\n${tail}`,
    indexes: alter(indexes),
    foreignKeys: alter(foreignKeys),
  };
}

/**
 * The comma-separated items of a CREATE TABLE's parenthesis, from `start` (just after it) to its
 * closing parenthesis (`end`); quotes ('…', "…" with backslash escapes, `…`) and nested parentheses are
 * skipped over. undefined when the parenthesis never closes.
 */
function topLevelItems(text: string, start: number): { items: string[]; end: number } | undefined {
  const items: string[] = [];
  let depth = 0;
  let itemStart = start;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i += 1; i < text.length && text[i] !== c; i += 1) if (text[i] === '\\' && c !== '`') i += 1;
      // `` and '' inside a quoted name or string close and reopen it: the loop goes on from the second.
      continue;
    }
    if (c === '(') depth += 1;
    else if (c === ')') {
      if (depth === 0) {
        items.push(text.slice(itemStart, i));
        return { items, end: i };
      }
      depth -= 1;
    } else if (c === ',' && depth === 0) {
      items.push(text.slice(itemStart, i));
      itemStart = i + 1;
    }
  }
  return undefined;
}
