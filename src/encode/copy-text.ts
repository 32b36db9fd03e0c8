/**
 * PostgreSQL's COPY text format, one field at a time: `\N` is NULL, and a backslash escapes the
 * delimiter, newlines and itself (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format").
 */

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

export function decodeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i += 1) {
    const c = field[i] as string;
    if (c !== '\\' || i + 1 >= field.length) {
      out += c;
      continue;
    }
    const next = field[i + 1] as string;
    if (next in ESCAPES) {
      out += ESCAPES[next];
      i += 1;
    } else if (next >= '0' && next <= '7') {
      const octal = /^[0-7]{1,3}/.exec(field.slice(i + 1))![0];
      out += String.fromCharCode(Number.parseInt(octal, 8));
      i += octal.length;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field[i + 2] ?? '')) {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 2))![0];
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 1 + hex.length;
    } else {
      out += next;
      i += 1;
    }
  }
  return out;
}

const ESCAPE_ALL = /[\\\b\f\n\r\t\v]/g;
const ENCODED: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

export function encodeCopyField(value: string | null): string {
  if (value === null) return '\\N';
  return needsEscape(value) ? value.replace(ESCAPE_ALL, (c) => ENCODED[c] as string) : value;
}

/** Whether a value holds a backslash or a control character COPY escapes: a loop beats a regex on short values. */
function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    // \b \t \n \v \f \r are 8..13; the backslash is 92.
    if (code === 92 || (code >= 8 && code <= 13)) return true;
  }
  return false;
}
