import { ReplibyteError } from '../errors.js';

/** S3's own limit on a key, in UTF-8 bytes; a local path stays well below PATH_MAX with it. */
export const MAX_KEY_BYTES = 1024;
/** Most file systems' limit on one path component. */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Why `segment` cannot be one component of a datastore key, or undefined when it can. A key component
 * is what a dump name becomes, so this is also the last line of defence against a name that would
 * leave the store: `.`, `..`, separators (`/`, and `\` which Windows and some S3 gateways treat as one),
 * NUL and control characters, and over-long names.
 */
export function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'an empty path segment';
  if (segment === '.' || segment === '..') return `a '${segment}' path segment`;
  if (segment.includes('/') || segment.includes('\\')) return 'a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(segment)) return 'a NUL or control character';
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return `a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/**
 * Every datastore method checks its key here, whoever the caller: a key is `/`-separated segments that
 * each pass `segmentProblem`. Throws a ReplibyteError naming the key (as JSON, so a control character
 * shows) and the store.
 */
export function checkKey(key: string, where: string): string {
  const problem = Buffer.byteLength(key) > MAX_KEY_BYTES ? `more than ${MAX_KEY_BYTES} bytes` : key.split('/').map(segmentProblem).find(Boolean);
  if (problem) throw new ReplibyteError(`${where}: refused the key ${JSON.stringify(key)}: it has ${problem}`);
  return key;
}

/** A prefix is empty (the whole store, for listing) or a valid key followed by `/`. */
export function checkPrefix(prefix: string, where: string): string {
  if (prefix === '') return prefix;
  if (!prefix.endsWith('/')) throw new ReplibyteError(`${where}: refused the prefix ${JSON.stringify(prefix)}: it must end with '/'`);
  checkKey(prefix.slice(0, -1), where);
  return prefix;
}
