/**
 * The bytes the manifest tag covers: JSON with object keys sorted (recursively), no whitespace, and
 * `undefined` members left out. Sorting makes the tag independent of the order in which a writer or a
 * reader happened to build the object.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The manifest as the tag covers it: everything but `encryption.manifestTag`. */
export function manifestSigningBytes(manifest: unknown): Buffer {
  const copy = structuredClone(manifest) as { encryption?: Record<string, unknown> | null };
  if (copy.encryption) delete copy.encryption.manifestTag;
  return Buffer.from(canonicalJson(copy), 'utf8');
}
