import type { ValueTransform } from './row-transform.js';
import type { ColumnInfo } from './transformer.js';

/**
 * The same value gets the same fake in every column of its family, so joins between them hold: a char(n)
 * value is read without the blanks that pad it (`'ann   '` in char(6) is `'ann'` in text), and a citext
 * value by its lower-case form (citext compares so: `Ann@X.com` and `ann@x.com` are one key, and must get
 * one fake, or a foreign key between them breaks). `transient` and the user's own modules get the value
 * as it is.
 */
export function withFamilyForm(apply: ValueTransform, column: ColumnInfo, transformer: string): ValueTransform {
  const normalize = familyForm(column, transformer);
  if (!normalize) return apply;
  return (value, row) => apply(value === null ? null : normalize(value), row);
}

const AS_IS = new Set(['transient', 'custom', 'custom-wasm']);

function familyForm(column: ColumnInfo, transformer: string): ((value: string) => string) | undefined {
  if (AS_IS.has(transformer)) return undefined;
  if (column.baseType === 'bpchar') return trimBlanks;
  if (column.baseType === 'citext') return (value) => value.toLowerCase();
  return undefined;
}

function trimBlanks(value: string): string {
  return value.endsWith(' ') ? value.replace(/ +$/, '') : value;
}
