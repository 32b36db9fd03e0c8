import { ReplibyteError } from '../errors.js';

/**
 * Field paths into documents (MongoDB documents, JSON values), shared by every transformer that works
 * below the top level of a value. The syntax, as documented in docs/field-paths.md:
 *
 * - `a.b.c`: the field `c` of the object `b` of the object `a`.
 * - `a.$.b` (or the original Replibyte's `a.$[].b`): `b` in every element of the array `a`.
 * - `a.2.b`: element 2 of the array `a` (a digit segment on an object is a field name).
 * - A named segment that meets an array applies to every element of that array, as MongoDB's dot
 *   notation does in queries: `contacts.phone` reaches the phones of an array of contacts. This errs on
 *   the side of hiding data: a path never silently stops at an array.
 *
 * A path matches zero or more places; a place whose field is absent is not a match (nothing is added).
 */

export type PathSegment = { kind: 'field'; name: string } | { kind: 'each' };

export function parseFieldPath(text: string): PathSegment[] {
  if (text.length === 0) throw new ReplibyteError('a field path cannot be empty');
  return text.split('.').map((part) => {
    if (part === '$' || part === '$[]') return { kind: 'each' } as const;
    if (part.length === 0) throw new ReplibyteError(`field path '${text}' has an empty segment`);
    return { kind: 'field', name: part } as const;
  });
}

/** `true` for a plain document node (not an array, not a BSON value class, not a Date or a Buffer). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Calls `visit` with the value at every place the path matches and stores what it returns there.
 * Returns the number of places matched.
 */
export function rewriteAtPath(root: unknown, path: readonly PathSegment[], visit: (value: unknown) => unknown): number {
  return walk(root, path, 0, visit);
}

/** The first value the path matches, or undefined. */
export function readAtPath(root: unknown, path: readonly PathSegment[]): unknown {
  let found: unknown;
  let seen = false;
  walk(root, path, 0, (value) => {
    if (!seen) {
      found = value;
      seen = true;
    }
    return value;
  });
  return found;
}

function walk(node: unknown, path: readonly PathSegment[], index: number, visit: (value: unknown) => unknown): number {
  const segment = path[index]!;
  const last = index === path.length - 1;
  if (Array.isArray(node)) {
    if (segment.kind === 'field' && /^\d+$/.test(segment.name)) {
      const position = Number(segment.name);
      if (position >= node.length) return 0;
      return step(node, position, path, index, last, visit);
    }
    // `$` consumes the segment; a named segment is applied to every element (implicit traversal).
    let matches = 0;
    for (let position = 0; position < node.length; position += 1) {
      if (segment.kind === 'each') matches += step(node, position, path, index, last, visit);
      else if (isPlainObject(node[position]) || Array.isArray(node[position])) matches += walk(node[position], path, index, visit);
    }
    return matches;
  }
  if (segment.kind === 'each' || !isPlainObject(node)) return 0;
  if (!Object.hasOwn(node, segment.name)) return 0;
  return step(node, segment.name, path, index, last, visit);
}

function step(
  container: Record<string, unknown> | unknown[],
  key: string | number,
  path: readonly PathSegment[],
  index: number,
  last: boolean,
  visit: (value: unknown) => unknown,
): number {
  const record = container as Record<string | number, unknown>;
  if (last) {
    record[key] = visit(record[key]);
    return 1;
  }
  return walk(record[key], path, index + 1, visit);
}
