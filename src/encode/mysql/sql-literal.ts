import type { LiteralKind } from '../../engines/mysql/column-types.js';
import { ByteBuilder } from './byte-builder.js';

/**
 * MySQL SQL literals, byte for byte as mysqldump writes them: numbers bare, binary data as 0x… hex
 * (`--hex-blob`), text quoted with mysql_real_escape_string's escapes (\0 \n \r \\ \' \" \Z). Escaping
 * works on the UTF-8 bytes: a multibyte sequence never contains an ASCII byte, so it is never split.
 */

/** What follows a backslash for each byte mysql_real_escape_string escapes (0: not escaped). */
export const MYSQL_ESCAPES = new Uint8Array(256);
MYSQL_ESCAPES[0x00] = 0x30; // \0
MYSQL_ESCAPES[0x0a] = 0x6e; // \n
MYSQL_ESCAPES[0x0d] = 0x72; // \r
MYSQL_ESCAPES[0x5c] = 0x5c; // \\
MYSQL_ESCAPES[0x27] = 0x27; // \'
MYSQL_ESCAPES[0x22] = 0x22; // \"
MYSQL_ESCAPES[0x1a] = 0x5a; // \Z

/** The bytes MYSQL_ESCAPES escapes, for a native search. */
export const MYSQL_ESCAPED_BYTES: readonly number[] = [...MYSQL_ESCAPES.keys()].filter((byte) => MYSQL_ESCAPES[byte] !== 0);

export function writeQuoted(out: ByteBuilder, value: Buffer): void {
  out.escaped(value, 0, value.length, 0x27, MYSQL_ESCAPES, MYSQL_ESCAPED_BYTES);
}

/** A value as the server sent it in the text protocol (or NULL), written as the literal its type wants. */
export function writeLiteral(out: ByteBuilder, kind: LiteralKind, value: Buffer | null): void {
  if (value === null) out.ascii('NULL');
  else if (kind === 'number') out.bytes(value);
  else if (kind === 'hex') {
    if (value.length === 0) out.ascii("''");
    else out.hex(value, 0, value.length);
  } else writeQuoted(out, value);
}

/**
 * The text a transformer sees for a value: the value itself, except binary data, which is shown as
 * PostgreSQL shows bytea (`\x` and hex), so that a transformer never receives invalid UTF-8.
 */
export function textOf(kind: LiteralKind, value: Buffer | null): string | null {
  if (value === null) return null;
  return kind === 'hex' ? `\\x${value.toString('hex')}` : value.toString('utf8');
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** What a transformer returned, written back as a literal of the column's kind. */
export function writeText(out: ByteBuilder, kind: LiteralKind, text: string | null): void {
  if (text === null) out.ascii('NULL');
  else if (kind === 'number' && NUMBER.test(text)) out.ascii(text);
  else if (kind === 'hex' && /^\\x([0-9a-f]{2})*$/i.test(text)) writeLiteral(out, 'hex', Buffer.from(text.slice(2), 'hex'));
  else out.escapedText(text, 0x27, MYSQL_ESCAPES, MYSQL_ESCAPED_BYTES);
}

const UNESCAPES = new Map<number, number>([
  [0x30, 0x00], // 0
  [0x6e, 0x0a], // n
  [0x72, 0x0d], // r
  [0x74, 0x09], // t
  [0x62, 0x08], // b
  [0x5a, 0x1a], // Z
]);

/**
 * The bytes of one literal as found in a dump script: NULL → null; 'text' (with an optional
 * _charset introducer or N prefix) → its unescaped bytes; 0x…, X'…', b'…', 0b… → the bytes they denote;
 * a number → its text. Anything else (a function call) → undefined: it cannot be transformed.
 */
export function decodeLiteral(span: Buffer): Buffer | null | undefined {
  let text = span.toString('latin1');
  if (/^null$/i.test(text)) return null;
  if (NUMBER.test(text)) return Buffer.from(text, 'latin1');
  const introducer = /^(_[a-z0-9]+\s*|[nN](?='))/.exec(text);
  if (introducer) text = text.slice(introducer[0].length);
  let match = /^0x([0-9a-f]*)$/i.exec(text) ?? /^x'([0-9a-f]*)'$/i.exec(text);
  if (match) return Buffer.from(match[1]!.length % 2 ? `0${match[1]}` : match[1]!, 'hex');
  match = /^0b([01]+)$/i.exec(text) ?? /^b'([01]*)'$/i.exec(text);
  if (match) {
    const bits = match[1]!.padStart(Math.ceil(match[1]!.length / 8) * 8, '0');
    const bytes = Buffer.alloc(bits.length / 8);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2);
    return bytes;
  }
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.at(-1) !== quote || text.length < 2) return undefined;
  const bytes = span.subarray(span.length - Buffer.byteLength(text, 'latin1') + 1, span.length - 1);
  const out = new ByteBuilder(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte === 0x5c && i + 1 < bytes.length) {
      const next = bytes[++i]!;
      out.byte(UNESCAPES.get(next) ?? next);
    } else if (byte === quote.charCodeAt(0) && bytes[i + 1] === byte) {
      out.byte(byte);
      i += 1;
    } else out.byte(byte);
  }
  return out.take();
}
