import { randomBytes } from 'node:crypto';
import { fitBytes } from './column-types.js';
import type { ColumnInfo } from './transformer.js';
import { keyedDigest } from './salt.js';

/**
 * Keeps a unique column unique: a fake value plus a short keyed digest of the original value. Distinct
 * inputs collide only if 62 bits of the keyed digest do (about 1 in 10^7 for a million rows, 1 in 10^9 for
 * 100,000), and the suffix reveals nothing without the salt.
 */
export const SUFFIX_LENGTH = 12;
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

export function uniqueSuffix(salt: Buffer, value: string, options: { digits?: boolean; deterministic?: boolean; length?: number } = {}): string {
  const digest = options.deterministic === false ? randomBytes(32) : keyedDigest(salt, 'unique suffix', value);
  return suffixOf(digest, options);
}

/** The suffix from 64 bits of a keyed digest (bytes 16..23, which the value's random stream does not use). */
export function suffixOf(digest: Buffer, options: { digits?: boolean; length?: number } = {}): string {
  const alphabet = options.digits ? DIGITS : BASE36;
  const length = options.length ?? (options.digits ? 19 : SUFFIX_LENGTH);
  let number = digest.readBigUInt64LE(16);
  let out = '';
  const radix = BigInt(alphabet.length);
  for (let i = 0; i < length; i += 1) {
    out += alphabet[Number(number % radix)];
    number /= radix;
  }
  return out;
}

/**
 * `fake` + `separator` + `suffix`, the fake part cut so that the whole fits the column's declared length
 * (and the bytes a CHECK allows: the suffix is ASCII, one byte a character).
 */
export function appendSuffix(fake: string, suffix: string, column: ColumnInfo, separator = '-'): string {
  const tail = `${separator}${suffix}`;
  const limit = Math.min(column.maxLength ?? Infinity, column.maxBytes ?? Infinity);
  if (limit === Infinity) return fake + tail;
  const room = limit - tail.length;
  if (room <= 0) return suffix.slice(0, limit);
  const cut = column.maxLength === undefined ? fake : [...fake].slice(0, column.maxLength - tail.length).join('');
  return (column.maxBytes === undefined ? cut : fitBytes(cut, column.maxBytes - tail.length)) + tail;
}

/** The shortest declared length that still holds a suffix: shorter unique columns are refused. */
export function refuseTooShortForUnique(column: ColumnInfo, minimum = SUFFIX_LENGTH): string | undefined {
  if (column.unique && column.maxLength !== undefined && column.maxLength < minimum) {
    const within = column.uniquePrefix === column.maxLength ? ` within its first ${column.maxLength} characters (a prefix index)` : '';
    return `the column is unique${within} and ${column.maxLength} characters are too few to keep ${minimum} distinguishing characters`;
  }
  return undefined;
}

/**
 * A column unique within its first characters only (MySQL's `UNIQUE (name(10))`) as a transformer that
 * keeps it unique must see it: no longer than the prefix, so that two distinct fakes differ within it
 * (a suffix past the prefix would not count). The declared length is still what the output is checked against.
 */
export function withinUniquePrefix<C extends ColumnInfo>(column: C): C {
  const prefix = column.uniquePrefix;
  if (!column.unique || prefix === undefined || prefix >= (column.maxLength ?? Infinity)) return column;
  return { ...column, maxLength: prefix };
}
