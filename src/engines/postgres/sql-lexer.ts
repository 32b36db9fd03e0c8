/**
 * A small SQL lexer for the statements of a pg_dump script: enough to find names, column lists and
 * the literal values of INSERT statements. Every token keeps its offsets in the statement, so that a
 * caller can copy what it does not change byte for byte. Comments and white space are skipped.
 *
 * Strings follow `standard_conforming_strings = on` (what pg_dump writes): in '…' a backslash is an
 * ordinary character and '' is a quote; in E'…' backslashes escape.
 */
export type TokenType =
  | 'string' // '…' (also N'…')
  | 'escape-string' // E'…'
  | 'other-string' // B'…', X'…', U&'…': kept, never decoded
  | 'dollar-string'
  | 'number'
  | 'identifier' // unquoted: keywords too
  | 'quoted-identifier'
  | 'cast' // ::
  | 'punctuation' // ( ) [ ] , ; .
  | 'operator';

export interface Token {
  type: TokenType;
  start: number;
  end: number;
  /** The source text of the token. */
  text: string;
}

const IDENTIFIER_START = /[A-Za-z_\u0080-\uFFFF]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$\u0080-\uFFFF]/;
const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?:';

export class SqlSyntaxError extends Error {}

/** `maxTokens` stops early: enough to read the head of a long statement. */
export function tokenize(sql: string, maxTokens = Number.POSITIVE_INFINITY): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, start: number, end: number) => tokens.push({ type, start, end, text: sql.slice(start, end) });
  while (i < sql.length && tokens.length < maxTokens) {
    const c = sql[i] as string;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f') {
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const newline = sql.indexOf('\n', i);
      i = newline === -1 ? sql.length : newline + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === "'") {
      push('string', i, endOfQuoted(sql, i, "'"));
      i = tokens[tokens.length - 1]!.end;
    } else if ((c === 'E' || c === 'e') && sql[i + 1] === "'") {
      push('escape-string', i, endOfEscapeString(sql, i + 1));
      i = tokens[tokens.length - 1]!.end;
    } else if ((c === 'N' || c === 'n') && sql[i + 1] === "'") {
      push('string', i, endOfQuoted(sql, i + 1, "'"));
      i = tokens[tokens.length - 1]!.end;
    } else if ((c === 'B' || c === 'b' || c === 'X' || c === 'x') && sql[i + 1] === "'") {
      push('other-string', i, endOfQuoted(sql, i + 1, "'"));
      i = tokens[tokens.length - 1]!.end;
    } else if ((c === 'U' || c === 'u') && sql[i + 1] === '&' && sql[i + 2] === "'") {
      push('other-string', i, endOfQuoted(sql, i + 2, "'"));
      i = tokens[tokens.length - 1]!.end;
    } else if (c === '"') {
      push('quoted-identifier', i, endOfQuoted(sql, i, '"'));
      i = tokens[tokens.length - 1]!.end;
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 66))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66))![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close === -1) throw new SqlSyntaxError('unterminated dollar-quoted string');
      push('dollar-string', i, close + tag.length);
      i = close + tag.length;
    } else if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const match = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i, i + 400))!;
      push('number', i, i + match[0].length);
      i += match[0].length;
    } else if (IDENTIFIER_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && IDENTIFIER_PART.test(sql[end] as string)) end += 1;
      push('identifier', i, end);
      i = end;
    } else if (c === ':' && sql[i + 1] === ':') {
      push('cast', i, i + 2);
      i += 2;
    } else if ('()[],;.'.includes(c)) {
      push('punctuation', i, i + 1);
      i += 1;
    } else if (OPERATOR_CHARS.includes(c)) {
      let end = i + 1;
      while (end < sql.length && OPERATOR_CHARS.includes(sql[end] as string) && !(sql[end] === '-' && sql[end + 1] === '-')) end += 1;
      push('operator', i, end);
      i = end;
    } else {
      push('operator', i, i + 1);
      i += 1;
    }
  }
  return tokens;
}

function endOfQuoted(sql: string, open: number, quote: string): number {
  let i = open + 1;
  for (;;) {
    const close = sql.indexOf(quote, i);
    if (close === -1) throw new SqlSyntaxError(quote === '"' ? 'unterminated quoted identifier' : 'unterminated quoted string');
    if (sql[close + 1] === quote) {
      i = close + 2;
      continue;
    }
    return close + 1;
  }
}

function endOfEscapeString(sql: string, open: number): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\\') i += 2;
    else if (c === "'") {
      if (sql[i + 1] === "'") i += 2;
      else return i + 1;
    } else i += 1;
  }
  throw new SqlSyntaxError('unterminated quoted string');
}

function skipBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else i += 1;
  }
  throw new SqlSyntaxError('unterminated /* comment */');
}

/** True when the token is the unquoted keyword (case-insensitive). */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token !== undefined && token.type === 'identifier' && token.text.toUpperCase() === keyword;
}

export function isPunctuation(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.type === 'punctuation' && token.text === text;
}

/** The name an identifier token stands for: unquoted names fold to lower case, quoted ones are exact. */
export function identifierName(token: Token): string {
  if (token.type === 'quoted-identifier') return token.text.slice(1, -1).replaceAll('""', '"');
  return token.text.toLowerCase();
}

export function isName(token: Token | undefined): token is Token {
  return token !== undefined && (token.type === 'identifier' || token.type === 'quoted-identifier');
}

/** Reads `a.b.c` from `at`: the names and the index of the token after them. */
export function readDottedName(tokens: Token[], at: number): { parts: string[]; next: number } | undefined {
  if (!isName(tokens[at])) return undefined;
  const parts = [identifierName(tokens[at])];
  let next = at + 1;
  while (isPunctuation(tokens[next], '.') && isName(tokens[next + 1])) {
    parts.push(identifierName(tokens[next + 1]!));
    next += 2;
  }
  return { parts, next };
}

/** The index of the token that closes the bracket opened at `open` (`(` or `[`). */
export function closingBracket(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const t = tokens[i]!;
    if (t.type !== 'punctuation') continue;
    if (t.text === '(' || t.text === '[') depth += 1;
    else if (t.text === ')' || t.text === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new SqlSyntaxError('unbalanced parentheses');
}

/** Splits tokens[from, to) at the commas that are not inside brackets. */
export function splitTopLevel(tokens: Token[], from: number, to: number): Array<[number, number]> {
  const items: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i += 1) {
    const t = tokens[i]!;
    if (t.type !== 'punctuation') continue;
    if (t.text === '(' || t.text === '[') depth += 1;
    else if (t.text === ')' || t.text === ']') depth -= 1;
    else if (t.text === ',' && depth === 0) {
      items.push([start, i]);
      start = i + 1;
    }
  }
  if (to > start) items.push([start, to]);
  return items;
}
