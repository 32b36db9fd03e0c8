import type { TransformerRegistry } from '../transformers/registry.js';

/**
 * The transformer to propose for a kind of data: the first of `preferences` the registry has. Specific
 * transformers (phone-number, credit-card…) are preferred when this build has them; `redacted` and
 * `random` are the fallbacks every build has.
 */
export function chooseTransformer(registry: TransformerRegistry, preferences: readonly string[]): string {
  return preferences.find((name) => registry.get(name)) ?? 'redacted';
}
