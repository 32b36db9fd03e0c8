/**
 * The path syntax shared by `json` (and, later, MongoDB documents):
 *
 * - `a.b.c` or `$.a.b.c`: the field `c` of the object at `a.b`;
 * - `contacts.$.phone` or `contacts.$[].phone` or `contacts[*].phone`: `phone` in every element of the array `contacts`;
 * - `items.0.name`: element 0 of an array;
 * - a name with a dot in it is written in brackets and quotes: `$["a.b"].c`.
 */
export type PathStep = { kind: 'key'; key: string } | { kind: 'every' } | { kind: 'index'; index: number };

export function parsePath(path: string): PathStep[] {
  let rest = path.trim();
  if (rest.startsWith('$.')) rest = rest.slice(2);
  else if (rest.startsWith('$[')) rest = rest.slice(1);
  const steps: PathStep[] = [];
  const pattern = /^(?:\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\*\]|\$\[\]|\$|\[(\d+)\]|([^.[\]]+))\.?/;
  while (rest.length > 0) {
    const m = pattern.exec(rest);
    if (!m || m[0].length === 0) throw new Error(`cannot read the path "${path}" at "${rest}"`);
    const [token, quoted, bracketIndex, bare] = m;
    if (quoted !== undefined) steps.push({ kind: 'key', key: JSON.parse(`"${quoted}"`) as string });
    else if (bracketIndex !== undefined) steps.push({ kind: 'index', index: Number(bracketIndex) });
    else if (bare !== undefined) steps.push(/^\d+$/.test(bare) ? { kind: 'index', index: Number(bare) } : { kind: 'key', key: bare });
    else steps.push({ kind: 'every' });
    rest = rest.slice(token.length);
  }
  if (steps.length === 0) throw new Error(`the path "${path}" is empty`);
  return steps;
}

/** What `visit` returns to remove the value from its object (or its array) instead of replacing it. */
export const REMOVE: unique symbol = Symbol('remove');

/**
 * Calls `visit` on every value the path reaches and writes back what it returns (REMOVE: takes the field
 * out of its object, the element out of its array). Returns whether anything matched.
 */
export function updateAtPath(document: unknown, steps: PathStep[], visit: (value: unknown) => unknown): boolean {
  const [step, ...rest] = steps;
  if (!step || document === null || typeof document !== 'object') return false;
  const apply = (container: Record<string | number, unknown>, key: string | number): boolean => {
    if (!(key in container)) return false;
    if (rest.length === 0) {
      const out = visit(container[key]);
      if (out !== REMOVE) container[key] = out;
      else if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key];
      return true;
    }
    return updateAtPath(container[key], rest, visit);
  };
  if (step.kind === 'every') {
    if (!Array.isArray(document)) return false;
    let matched = false;
    // From the end, so that removing an element leaves the ones still to visit in place.
    for (let i = document.length - 1; i >= 0; i -= 1) matched = apply(document as unknown as Record<number, unknown>, i) || matched;
    return matched;
  }
  if (step.kind === 'index') return Array.isArray(document) && apply(document as unknown as Record<number, unknown>, step.index);
  // An 'every' step written as a plain key on an array (`contacts.phone`) would silently match nothing: be explicit.
  return !Array.isArray(document) && Object.prototype.hasOwnProperty.call(document, step.key) && apply(document as Record<string, unknown>, step.key);
}
