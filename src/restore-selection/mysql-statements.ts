import type { DumpTable, StatementTables } from './statement-tables.js';

const NAME = String.raw`(?:\`((?:[^\`]|\`\`)+)\`|([A-Za-z0-9_$]+))`;
/** A name, maybe qualified by a database: the table is the last part (a dump holds one database). */
const TABLE = String.raw`(?:${NAME}\s*\.\s*)?${NAME}`;
const HEADS: ReadonlyArray<RegExp> = [
  new RegExp(String.raw`^CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${TABLE}`, 'i'),
  new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${TABLE}`, 'i'),
  new RegExp(String.raw`^(?:ALTER|TRUNCATE|LOCK)\s+TABLES?\s+${TABLE}`, 'i'),
  new RegExp(String.raw`^(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*INTO\s+${TABLE}`, 'i'),
];
const TRIGGER = new RegExp(String.raw`^CREATE\s+(?:DEFINER\s*=\s*\S+\s+)?TRIGGER\s+${TABLE}\s+(?:BEFORE|AFTER)\s+(?:INSERT|UPDATE|DELETE)\s+ON\s+${TABLE}`, 'i');
const VIEW = new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\s+${TABLE}`, 'i');
const REFERENCES = new RegExp(String.raw`\bREFERENCES\s+${TABLE}`, 'gi');
const QUOTED = /`((?:[^`]|``)+)`/g;

function unquote(quoted: string | undefined, bare: string | undefined): string {
  return quoted !== undefined ? quoted.replaceAll('``', '`') : bare!;
}

/**
 * The head of a statement without its leading comments, and unwrapped from a `/*!40000 … *\/`
 * version comment (mysqldump writes `ALTER TABLE … DISABLE KEYS` that way).
 */
function head(text: string): string {
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith('--') || rest.startsWith('#')) {
      const end = rest.indexOf('\n');
      rest = end === -1 ? '' : rest.slice(end + 1);
    } else if (rest.startsWith('/*!')) {
      return rest.replace(/^\/\*!\d*\s*/, '');
    } else if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      rest = end === -1 ? '' : rest.slice(end + 2);
    } else {
      return rest;
    }
  }
}

/** A MySQL statement's tables (`schema` is the dump's database: MySQL dumps name tables unqualified). */
export function mysqlStatementTables(text: string, database: string): StatementTables {
  const table = (quoted: string | undefined, bare: string | undefined): DumpTable => ({ schema: database, name: unquote(quoted, bare) });
  const sql = head(text);
  const result: StatementTables = { tables: [], references: [], indexes: [] };
  const trigger = TRIGGER.exec(sql);
  if (trigger) {
    result.tables.push(table(trigger[7], trigger[8]));
    return result;
  }
  const view = VIEW.exec(sql);
  if (view) {
    const name = table(view[3], view[4]);
    const body = sql.slice(view[0].length);
    const reads = [...body.matchAll(QUOTED)].map((match) => ({ schema: database, name: match[1]!.replaceAll('``', '`') }));
    result.view = { name, reads };
    return result;
  }
  for (const [index, pattern] of HEADS.entries()) {
    const match = pattern.exec(sql);
    if (!match) continue;
    const named = table(match[3], match[4]);
    result.tables.push(named);
    if (index === 0) {
      result.creates = named;
      for (const reference of sql.matchAll(REFERENCES)) result.references.push(table(reference[3], reference[4]));
    }
    break;
  }
  return result;
}
