import { createHash, createHmac } from 'node:crypto';
import type { SaltSource } from '../transformers/salt.js';
import { canonicalJson } from './encryption/canonical-json.js';
import type { Manifest, Provenance } from './manifest.js';

/**
 * A dump's provenance (docs/format.md): enough for a reviewer to tell whether two dumps were made with
 * the same rules and the same salt, without seeing either. The salt's fingerprint is a keyed hash of a
 * constant (HMAC-SHA256 keyed by the salt): it cannot be reversed, and without the salt it cannot be
 * checked against a guess. The plan's fingerprint covers every rule: column, transformer, options and
 * algorithm version.
 */
const SALT_FINGERPRINT_LABEL = 'replibyte salt fingerprint v1';

export function saltFingerprint(salt: Buffer): string {
  return createHmac('sha256', salt).update(SALT_FINGERPRINT_LABEL).digest('hex').slice(0, 32);
}

export function planFingerprint(transformed: Manifest['transformed']): string {
  const rules = transformed
    .map((t) => ({ schema: t.schema, table: t.table, column: t.column, transformer: t.transformer, options: t.options ?? {}, algorithm: t.algorithm ?? null, propagatedFrom: t.propagatedFrom ?? null, ...(t.when !== undefined && { when: t.when }) }))
    .sort((a, b) => canonicalJson([a.schema, a.table, a.column]).localeCompare(canonicalJson([b.schema, b.table, b.column])));
  return createHash('sha256').update(canonicalJson(rules)).digest('hex').slice(0, 32);
}

export function buildProvenance(options: {
  salt: Buffer;
  saltSource: SaltSource;
  transformed: Manifest['transformed'];
  strict: boolean;
  scan?: { mode: string; rowsScanned: number; findings: number };
}): Provenance {
  return {
    saltFingerprint: saltFingerprint(options.salt),
    saltSource: options.saltSource,
    planFingerprint: planFingerprint(options.transformed),
    strict: options.strict,
    scan: options.scan ? { ran: true, ...options.scan } : { ran: false },
  };
}
