import { hkdfSync, randomBytes } from 'node:crypto';
import { KeyedDigester } from './keyed-digest.js';

export type SaltSource = 'config' | 'encryption_key' | 'random';

/**
 * The secret behind deterministic transformers: `salt` from the config, else a key derived from
 * `encryption_key` (HKDF with its own label, so it reveals nothing about the encryption key), else a
 * fresh random value, which keeps the run safe but makes its fake values differ from the last dump's.
 */
export function resolveSalt(config: { salt?: string; encryption_key?: string }): { salt: Buffer; source: SaltSource } {
  if (config.salt) return { salt: Buffer.from(config.salt, 'utf8'), source: 'config' };
  if (config.encryption_key) {
    const derived = hkdfSync('sha256', Buffer.from(config.encryption_key, 'utf8'), Buffer.alloc(0), 'replibyte transformer salt v1', 32);
    return { salt: Buffer.from(derived), source: 'encryption_key' };
  }
  return { salt: randomBytes(32), source: 'random' };
}

/** A keyed digest of a value (32 bytes): the seed of a deterministic fake value and its unique suffix. */
export function keyedDigest(salt: Buffer, ...parts: string[]): Buffer {
  return digesterFor(salt).digest(parts);
}

/** The first 16 bytes of `keyedDigest(salt, label, value)`, at half the cost: enough to seed a RandomSource. */
export function keyedSeed(salt: Buffer, label: string, value: string): Buffer {
  return digesterFor(salt).digest([label, value], 16);
}

// One run has one salt (tests a few): keep the prepared key of the last ones used.
const digesters = new WeakMap<Buffer, KeyedDigester>();

function digesterFor(salt: Buffer): KeyedDigester {
  let digester = digesters.get(salt);
  if (!digester) {
    digester = new KeyedDigester(salt);
    digesters.set(salt, digester);
  }
  return digester;
}

/** A fake-data library's input: the keyed digest, so its public hash key cannot be used to reverse it. */
export function seedFor(salt: Buffer, transformer: string, value: string): string {
  return keyedDigest(salt, transformer, value).toString('hex');
}
