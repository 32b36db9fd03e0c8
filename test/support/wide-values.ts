import { createHash } from 'node:crypto';

/**
 * Values for wide-row tests, made deterministically: every byte value (blobs), every character a
 * dump must escape and multibyte UTF-8 (texts), at sizes that cross every chunk and piece boundary.
 */

/** `bytes` pseudo-random bytes (each of the 256 values), the same for the same seed. */
export function wideBlob(bytes: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** About `bytes` of text with tabs, newlines, quotes, backslashes, control characters and é, 😀, ☃. */
export function wideText(bytes: number, seed = 1): string {
  const alphabet = ['a', 'b', 'c', ' ', '\t', '\n', '\r', "'", '"', '\\', '\u001a', ',', ';', '(', ')', 'é', '😀', '☃', 'Z', '0'];
  const parts: string[] = [];
  const blob = wideBlob(Math.ceil(bytes / 2), seed);
  let length = 0;
  for (let i = 0; length < bytes; i += 1) {
    const piece = blob[i % blob.length]! % 4 === 0 ? alphabet[blob[i % blob.length]! % alphabet.length]! : 'plain-text-run ';
    parts.push(piece);
    length += Buffer.byteLength(piece);
  }
  return parts.join('');
}

export const sha256 = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');
