import { closingBracket, identifierName, isKeyword, isName, isPunctuation, readDottedName, splitTopLevel, SqlSyntaxError, tokenize, type Token } from '../../engines/postgres/sql-lexer.js';
import { readLiteral, writeLiteral } from './sql-literal.js';
import { tableOf, type TableName } from '../../engines/postgres/table-name.js';

const HEAD_TOKENS = 12;

/**
 * Reads the table of an INSERT statement from its first tokens only (an INSERT of 50 rows needs no
 * full tokenizing to be passed through). Undefined when the statement is not an INSERT.
 */
export function readInsertTable(sql: string): TableName | undefined {
  const tokens = tokenize(sql, HEAD_TOKENS);
  if (!isKeyword(tokens[0], 'INSERT') || !isKeyword(tokens[1], 'INTO')) return undefined;
  const name = readDottedName(tokens, 2);
  return name ? tableOf(name.parts) : undefined;
}

export interface ColumnRewrite {
  /** Position of the column in the statement's column list. */
  index: number;
  /** The new value of a literal; its row, decoded, for transforms that read other columns. */
  apply(value: string | null, row: (index: number) => string | null): string | null;
}

/**
 * Rewrites the given columns of every row of an `INSERT … VALUES (…), (…)` statement. Only the
 * expressions of those columns are replaced; every other byte of the statement is copied as it was.
 * `columnsOf` gives the column list when the statement has none (values for every column in order).
 */
export function rewriteInsert(sql: string, columnsOf: (table: TableName) => string[], rewritesFor: (columns: string[]) => ColumnRewrite[]): { sql: string; rows: number } {
  const tokens = tokenize(sql);
  if (!isKeyword(tokens[0], 'INSERT') || !isKeyword(tokens[1], 'INTO')) throw new SqlSyntaxError('not an INSERT statement');
  const name = readDottedName(tokens, 2);
  if (!name) throw new SqlSyntaxError('INSERT INTO without a table name');
  let at = name.next;
  let columns: string[];
  if (isPunctuation(tokens[at], '(')) {
    const close = closingBracket(tokens, at);
    columns = splitTopLevel(tokens, at + 1, close).map(([from, to]) => {
      const token = tokens[from];
      if (to - from !== 1 || !isName(token)) throw new SqlSyntaxError('unexpected text in the column list of an INSERT');
      return identifierName(token);
    });
    at = close + 1;
  } else {
    columns = columnsOf(tableOf(name.parts));
  }
  if (isKeyword(tokens[at], 'OVERRIDING')) at += 3;
  if (!isKeyword(tokens[at], 'VALUES')) throw new SqlSyntaxError('only INSERT … VALUES statements can be transformed');
  at += 1;
  const rewrites = rewritesFor(columns);
  const pieces: string[] = [];
  let copiedTo = 0;
  let rows = 0;
  while (isPunctuation(tokens[at], '(')) {
    const close = closingBracket(tokens, at);
    const items = splitTopLevel(tokens, at + 1, close);
    if (items.length !== columns.length) {
      throw new SqlSyntaxError(`row ${rows + 1} of the INSERT has ${items.length} values, expected ${columns.length}`);
    }
    rows += 1;
    const decoded = new Map<number, string | null>();
    const valueAt = (index: number): string | null => {
      if (!decoded.has(index)) {
        const [from, to] = items[index]!;
        const literal = readLiteral(sql, tokens.slice(from, to));
        if (!literal) throw new SqlSyntaxError(`${columns[index]} is not a literal value (${excerpt(sql, tokens, from, to)})`);
        decoded.set(index, literal.value);
      }
      return decoded.get(index)!;
    };
    // Every transform sees the original row: compute all new values before writing any.
    const results = rewrites.map((rewrite) => {
      const [from, to] = items[rewrite.index]!;
      const expression = tokens.slice(from, to);
      if (expression.length === 1 && isKeyword(expression[0], 'DEFAULT')) return undefined;
      const literal = readLiteral(sql, expression);
      if (!literal) throw new SqlSyntaxError(`cannot transform ${columns[rewrite.index]}: its value is not a literal (${excerpt(sql, tokens, from, to)})`);
      return { from, to, text: writeLiteral(rewrite.apply(literal.value, valueAt), literal) };
    });
    for (const result of results.filter((r) => r !== undefined).sort((a, b) => a.from - b.from)) {
      pieces.push(sql.slice(copiedTo, tokens[result.from]!.start), result.text);
      copiedTo = tokens[result.to - 1]!.end;
    }
    at = close + 1;
    if (!isPunctuation(tokens[at], ',')) break;
    at += 1;
  }
  if (rows === 0) throw new SqlSyntaxError('INSERT … VALUES without a row');
  pieces.push(sql.slice(copiedTo));
  return { sql: pieces.join(''), rows };
}

function excerpt(sql: string, tokens: Token[], from: number, to: number): string {
  const text = sql.slice(tokens[from]!.start, tokens[to - 1]!.end).replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
