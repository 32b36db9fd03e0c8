import type { ColumnInfo } from './transformer.js';

const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'citext', 'name', 'char', 'character', 'character varying']);
const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
  // MySQL's widths (src/sources/mysql/column-types.ts): TINYINT, MEDIUMINT and the UNSIGNED ones.
  int1: [-128n, 127n],
  uint1: [0n, 255n],
  uint2: [0n, 65535n],
  int3: [-8388608n, 8388607n],
  uint3: [0n, 16777215n],
  uint4: [0n, 4294967295n],
  uint8: [0n, 18446744073709551615n],
};

export function isTextColumn(column: ColumnInfo): boolean {
  return TEXT_TYPES.has(column.baseType);
}

export function integerRange(column: ColumnInfo): [bigint, bigint] | undefined {
  return INTEGER_RANGES[column.baseType];
}

/** Refusal for transformers that write text: the column must hold text. */
export function refuseUnlessText(column: ColumnInfo): string | undefined {
  return isTextColumn(column) ? undefined : 'it writes text';
}

/**
 * The most characters of ASCII text the column holds: its declared length, or a CHECK's bytes (an ASCII
 * character is one byte), whichever is less; undefined when neither bounds it. For transformers whose
 * outputs are ASCII (codes, numbers) and must be whole rather than cut.
 */
export function asciiRoom(column: ColumnInfo): number | undefined {
  const room = Math.min(column.maxLength ?? Infinity, column.maxBytes ?? Infinity);
  return room === Infinity ? undefined : room;
}

/** Whether a value fits the column's declared length (characters) and a CHECK's bytes, uncut. */
export function fitsWhole(value: string, column: ColumnInfo): boolean {
  if (column.maxLength !== undefined && [...value].length > column.maxLength) return false;
  return column.maxBytes === undefined || Buffer.byteLength(value) <= column.maxBytes;
}

/** Cuts a value to the column's declared length (in characters), and to a CHECK's bytes, so that it still fits. */
export function fitLength(value: string, column: ColumnInfo): string {
  const cut = fitCharacters(value, column.maxLength);
  return column.maxBytes === undefined ? cut : fitBytes(cut, column.maxBytes);
}

function fitCharacters(value: string, limit: number | undefined): string {
  // UTF-16 length ≥ characters: most values are short enough without counting characters one by one.
  if (limit === undefined || value.length <= limit) return value;
  const characters = [...value];
  return characters.length <= limit ? value : characters.slice(0, limit).join('');
}

/** The longest run of whole characters from the start whose UTF-8 form holds in `limit` bytes. */
export function fitBytes(value: string, limit: number): string {
  // UTF-8 bytes ≤ 3 × UTF-16 units: a short value needs no counting.
  if (value.length * 3 <= limit || Buffer.byteLength(value) <= limit) return value;
  let bytes = 0;
  let out = '';
  for (const character of value) {
    bytes += Buffer.byteLength(character);
    if (bytes > limit) break;
    out += character;
  }
  return out;
}

/**
 * An empty value as the column holds it: '' or, in char(n), which pads with spaces, a value of spaces
 * only (PostgreSQL writes char(4)'s '' as '    '). Transformers that keep '' keep these too.
 */
export function isEmptyText(value: string, column: ColumnInfo): boolean {
  return value === '' || (column.baseType === 'bpchar' && !/[^ ]/.test(value));
}
