import type { Token } from '../../engines/postgres/sql-lexer.js';

/**
 * The value of one expression of an INSERT's VALUES list, when it is a literal: NULL, a quoted
 * string ('…', E'…'), a number (negative, with exponent), true/false, each optionally followed by
 * casts (`'2024-01-01'::date`). Anything else (ARRAY[…], function calls, DEFAULT) is not a literal.
 */
export interface LiteralValue {
  value: string | null;
  /** How the value was written, so that a new value can be written the same way. */
  form: 'null' | 'string' | 'number' | 'boolean';
  /** The source text of the casts that followed the literal (`::date`), kept on rewrite. */
  casts: string;
}

export function readLiteral(sql: string, tokens: Token[]): LiteralValue | undefined {
  if (tokens.length === 0) return undefined;
  let index = 0;
  let literal: Omit<LiteralValue, 'casts'> | undefined;
  const first = tokens[0]!;
  if (first.type === 'identifier' && first.text.toUpperCase() === 'NULL') literal = { value: null, form: 'null' };
  else if (first.type === 'identifier' && /^(true|false)$/i.test(first.text)) literal = { value: first.text.toLowerCase(), form: 'boolean' };
  else if (first.type === 'string') literal = { value: unquoteString(first.text), form: 'string' };
  else if (first.type === 'escape-string') literal = { value: unescapeString(first.text.slice(2, -1)), form: 'string' };
  else if (first.type === 'number') literal = { value: first.text, form: 'number' };
  else if (first.type === 'operator' && (first.text === '-' || first.text === '+') && tokens[1]?.type === 'number') {
    literal = { value: `${first.text === '-' ? '-' : ''}${tokens[1].text}`, form: 'number' };
    index = 1;
  }
  if (!literal) return undefined;
  const rest = tokens.slice(index + 1);
  if (rest.length > 0 && !isCastChain(rest)) return undefined;
  const casts = rest.length > 0 ? sql.slice(rest[0]!.start, rest[rest.length - 1]!.end) : '';
  return { ...literal, casts };
}

/** `::type`, `::character varying(10)`, `::text[]`, `::public.status`, one or more. */
function isCastChain(tokens: Token[]): boolean {
  if (tokens[0]?.type !== 'cast') return false;
  return tokens.every((t) => t.type === 'cast' || t.type === 'identifier' || t.type === 'quoted-identifier' || t.type === 'number' || (t.type === 'punctuation' && '()[],.'.includes(t.text)));
}

/** Writes a value back in the form of the literal it replaces; the casts stay. */
export function writeLiteral(value: string | null, original: LiteralValue): string {
  if (value === null) return `NULL${original.casts}`;
  if (original.form === 'number' && /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    // `-5::int` would cast 5 before the minus applies: keep a negative number with casts in parentheses.
    return value.startsWith('-') && original.casts ? `(${value})${original.casts}` : `${value}${original.casts}`;
  }
  return `${quoteString(value)}${original.casts}`;
}

/**
 * A string literal that means the same under either setting of `standard_conforming_strings`:
 * plain '…' when there is no backslash, E'…' (backslashes doubled) when there is.
 */
export function quoteString(value: string): string {
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

function unquoteString(text: string): string {
  const open = text.indexOf("'");
  return text.slice(open + 1, -1).replaceAll("''", "'");
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The body of an E'…' string (https://www.postgresql.org/docs/current/sql-syntax-lexical.html). */
export function unescapeString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i] as string;
    if (c === "'" && body[i + 1] === "'") {
      out += "'";
      i += 1;
      continue;
    }
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const next = body[i + 1] as string;
    let match: RegExpExecArray | null;
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
    } else if ((match = /^[0-7]{1,3}/.exec(body.slice(i + 1, i + 4)))) {
      out += String.fromCharCode(Number.parseInt(match[0], 8) & 0xff);
      i += match[0].length;
    } else if (next === 'x' && (match = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 2, i + 4)))) {
      out += String.fromCharCode(Number.parseInt(match[0], 16));
      i += 1 + match[0].length;
    } else if (next === 'u' && (match = /^[0-9a-fA-F]{4}/.exec(body.slice(i + 2, i + 6)))) {
      out += String.fromCodePoint(Number.parseInt(match[0], 16));
      i += 5;
    } else if (next === 'U' && (match = /^[0-9a-fA-F]{8}/.exec(body.slice(i + 2, i + 10)))) {
      out += String.fromCodePoint(Number.parseInt(match[0], 16));
      i += 9;
    } else {
      out += next;
      i += 1;
    }
  }
  return out;
}
