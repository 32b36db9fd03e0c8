/**
 * Reads an INSERT statement of a dump script without re-serialising it: the table, the column list,
 * and each row tuple as the exact bytes of the script, with the byte span of every value. Only values a
 * transformer changes are ever decoded; everything else is copied as it was.
 */

const IDENT = '(?:`(?:[^`]|``)*`|[\\w$\\x80-\\xff]+)';
const HEADER = new RegExp(
  '^(?:\\s+|--[^\\n]*(?:\\n|$)|#[^\\n]*(?:\\n|$)|/\\*(?!!)[\\s\\S]*?\\*/)*' +
    '(INSERT(?:\\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY))?(?:\\s+IGNORE)?|REPLACE(?:\\s+(?:LOW_PRIORITY|DELAYED))?)(?:\\s+INTO)?' +
    `\\s+(${IDENT}(?:\\s*\\.\\s*${IDENT})?)\\s*(\\((?:[^()\`]|\`(?:[^\`]|\`\`)*\`)*\\))?\\s*VALUES?\\s*`,
  'i',
);

export interface InsertHeader {
  /** `INSERT`, `INSERT IGNORE`, `REPLACE` … as written (upper-cased, single spaces). */
  verb: string;
  table: string;
  /** The database the table name is qualified with (`INSERT INTO other.t`), if any. */
  database?: string;
  /** The column list, or undefined when the statement has none (mysqldump's default). */
  columns: string[] | undefined;
  /** Where the first tuple starts. */
  valuesOffset: number;
}

export interface RowTuple {
  /** The tuple's bytes, `(` to `)`. */
  bytes: Buffer;
  /** Each value's [start, end) within `bytes`, whitespace excluded. */
  spans: Array<[number, number]>;
  /** A value is an expression (a parenthesis outside strings: `NOW()`, `(SELECT …)`), not a literal. */
  expression?: true;
}

function unquoteIdentifier(text: string): string {
  const utf8 = Buffer.from(text.trim(), 'latin1').toString('utf8');
  return utf8.startsWith('`') ? utf8.slice(1, -1).replaceAll('``', '`') : utf8;
}

/** The header of an INSERT/REPLACE statement, or undefined when the statement is something else. */
export function parseInsertHeader(text: Buffer): InsertHeader | undefined {
  const head = text.toString('latin1', 0, Math.min(text.length, 1 << 16));
  const match = HEADER.exec(head);
  if (!match) return undefined;
  const names = [...match[2]!.matchAll(new RegExp(IDENT, 'g'))].map((m) => unquoteIdentifier(m[0]));
  const columns = match[3] ? [...match[3].slice(1, -1).matchAll(new RegExp(IDENT, 'g'))].map((m) => unquoteIdentifier(m[0])) : undefined;
  return { verb: match[1]!.toUpperCase().replace(/\s+/g, ' '), table: names.at(-1)!, ...(names.length > 1 && { database: names[0]! }), columns, valuesOffset: match[0].length };
}

const OPEN = 0x28;
const CLOSE = 0x29;
const COMMA = 0x2c;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Scans the row tuples that follow the header. Throws with the row number on anything malformed. */
export function* rowTuples(text: Buffer, offset: number): Generator<RowTuple> {
  let i = offset;
  let row = 0;
  while (true) {
    while (i < text.length && isSpace(text[i]!)) i += 1;
    if (text[i] !== OPEN) throw new Error(`row ${row + 1}: expected "(" but found ${excerpt(text, i)}`);
    const start = i;
    i += 1;
    const spans: Array<[number, number]> = [];
    let valueStart = i;
    let depth = 0;
    let hasNewline = false;
    let expression = false;
    while (true) {
      if (i >= text.length) throw new Error(`row ${row + 1}: the statement ends inside the row`);
      const byte = text[i]!;
      if (byte === 0x27 || byte === 0x22) {
        i = skipString(text, i, byte, row);
        continue;
      }
      if (byte === 0x0a) hasNewline = true;
      if (byte === OPEN) {
        depth += 1;
        expression = true;
      } else if (depth > 0 && byte === CLOSE) depth -= 1;
      else if (depth === 0 && (byte === COMMA || byte === CLOSE)) {
        spans.push(trimSpan(text, valueStart, i, start));
        i += 1;
        if (byte === CLOSE) break;
        valueStart = i;
        continue;
      }
      i += 1;
    }
    row += 1;
    const bytes = text.subarray(start, i);
    const tuple = hasNewline || bytes.includes(0x0a) ? withoutNewlines(bytes, spans) : { bytes, spans };
    yield expression ? { ...tuple, expression } : tuple;
    while (i < text.length && isSpace(text[i]!)) i += 1;
    if (i >= text.length) return;
    if (text[i] === COMMA) {
      i += 1;
      continue;
    }
    throw new Error(`after row ${row}: unexpected ${excerpt(text, i)} (ON DUPLICATE KEY UPDATE and expressions after VALUES are not supported)`);
  }
}

function skipString(text: Buffer, at: number, quote: number, row: number): number {
  let i = at + 1;
  while (i < text.length) {
    const byte = text[i]!;
    if (byte === 0x5c) i += 2;
    else if (byte === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  throw new Error(`row ${row + 1}: a string is not terminated`);
}

function trimSpan(text: Buffer, from: number, to: number, base: number): [number, number] {
  let start = from;
  let end = to;
  while (start < end && isSpace(text[start]!)) start += 1;
  while (end > start && isSpace(text[end - 1]!)) end -= 1;
  return [start - base, end - base];
}

/**
 * A row with a raw newline (a hand-written script; dump tools escape it) is rewritten with the
 * newline as \n inside strings and a space between values: a part keeps one line per row.
 */
function withoutNewlines(bytes: Buffer, spans: Array<[number, number]>): RowTuple {
  const out = Buffer.from(bytes);
  let quote = 0;
  const inserts: number[] = [];
  for (let i = 0; i < out.length; i += 1) {
    const byte = out[i]!;
    if (quote !== 0) {
      if (byte === 0x5c) i += 1;
      else if (byte === quote) quote = out[i + 1] === quote ? (i++, quote) : 0;
      else if (byte === 0x0a) inserts.push(i);
    } else if (byte === 0x27 || byte === 0x22) quote = byte;
    else if (byte === 0x0a) out[i] = 0x20;
  }
  if (inserts.length === 0) return { bytes: out, spans };
  // Each newline in a string becomes two bytes (\ n): shift the spans after it.
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of inserts) {
    pieces.push(out.subarray(from, at), Buffer.from('\\n'));
    from = at + 1;
  }
  pieces.push(out.subarray(from));
  const shifted = spans.map(([s, e]): [number, number] => [s + inserts.filter((x) => x < s).length, e + inserts.filter((x) => x < e).length]);
  return { bytes: Buffer.concat(pieces), spans: shifted };
}

function excerpt(text: Buffer, at: number): string {
  if (at >= text.length) return 'the end of the statement';
  return JSON.stringify(text.toString('utf8', at, Math.min(text.length, at + 40)));
}
