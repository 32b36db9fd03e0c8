import { ReplibyteError } from '../../errors.js';
import { closingBracket, identifierName, isKeyword, isName, isPunctuation, readDottedName, splitTopLevel, tokenize } from '../../engines/postgres/sql-lexer.js';
import { tableOf, type TableName } from '../../engines/postgres/table-name.js';

/** `COPY schema.table (columns) FROM stdin;` as pg_dump writes it. */
export interface CopyStatement {
  table: TableName;
  /** Undefined when the statement has no column list (every non-generated column, in order). */
  columns: string[] | undefined;
}

export function parseCopyStatement(sql: string): CopyStatement | undefined {
  const tokens = tokenize(sql);
  if (!isKeyword(tokens[0], 'COPY')) return undefined;
  const at = isKeyword(tokens[1], 'ONLY') ? 2 : 1;
  const name = readDottedName(tokens, at);
  if (!name) return undefined;
  let columns: string[] | undefined;
  if (isPunctuation(tokens[name.next], '(')) {
    const close = closingBracket(tokens, name.next);
    columns = splitTopLevel(tokens, name.next + 1, close).map(([from]) => tokens[from]).filter(isName).map(identifierName);
  }
  return { table: tableOf(name.parts), columns };
}

/**
 * Checks that every line of a piece of COPY data (whole lines, as the script reader passes them)
 * has the number of fields of the COPY's column list. In the text format a tab inside a value is
 * always escaped, so the fields of a line are its tabs plus one.
 */
export function checkCopyFields(data: string, expected: number, firstLine: number, where: string, label: string): void {
  let lineStart = 0;
  let line = firstLine;
  while (lineStart < data.length) {
    let newline = data.indexOf('\n', lineStart);
    if (newline === -1) newline = data.length;
    let fields = 1;
    for (let tab = data.indexOf('\t', lineStart); tab !== -1 && tab < newline; tab = data.indexOf('\t', tab + 1)) fields += 1;
    if (fields !== expected) {
      throw new ReplibyteError(`${where}, line ${line}: a COPY row of ${label} has ${fields} field${fields === 1 ? '' : 's'}, expected ${expected}`);
    }
    lineStart = newline + 1;
    line += 1;
  }
}
