import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * From passphrase to keys (docs/format.md, "Encryption"): scrypt with a per-dump salt gives the master
 * key; HKDF-SHA256 derives one key per purpose from it, so no key is used for two things.
 */

export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
/** A reader refuses costlier parameters: a forged manifest must not make it allocate gigabytes. */
const SCRYPT_LIMITS = { N: 2 ** 20, r: 32, p: 16 } as const;

export const kdfSchema = z.strictObject({
  name: z.literal('scrypt'),
  N: z.number().int().min(2 ** 14).max(SCRYPT_LIMITS.N).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  r: z.number().int().min(1).max(SCRYPT_LIMITS.r),
  p: z.number().int().min(1).max(SCRYPT_LIMITS.p),
  salt: z.string().regex(/^[0-9a-f]{32}$/),
});
export type KdfParameters = z.infer<typeof kdfSchema>;

export function newKdfParameters(): KdfParameters {
  return { name: 'scrypt', ...SCRYPT_DEFAULTS, salt: randomBytes(16).toString('hex') };
}

export class KeySchedule {
  private readonly manifestKey: Buffer;
  readonly keyCheck: string;

  private constructor(private readonly masterKey: Buffer) {
    this.manifestKey = derive(masterKey, 'replibyte v1 manifest mac');
    this.keyCheck = derive(masterKey, 'replibyte v1 key check').subarray(0, 16).toString('hex');
  }

  static async derive(passphrase: string, kdf: KdfParameters): Promise<KeySchedule> {
    const masterKey = await new Promise<Buffer>((resolve, reject) => {
      scrypt(
        Buffer.from(passphrase, 'utf8'),
        Buffer.from(kdf.salt, 'hex'),
        32,
        { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r * kdf.p + (1 << 20) },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    });
    return new KeySchedule(masterKey);
  }

  /** True when `candidate` is this key's check value (constant time). */
  checks(candidate: string): boolean {
    const expected = Buffer.from(this.keyCheck, 'hex');
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** One chunk's AES key: bound to the dump, the chunk's position in it, and the chunk's random nonce. */
  chunkKey(dumpId: string, sequence: number, nonce: Buffer): Buffer {
    const info = Buffer.alloc(8);
    info.writeBigUInt64BE(BigInt(sequence));
    return derive(this.masterKey, Buffer.concat([Buffer.from(`replibyte v1 chunk ${dumpId} `, 'utf8'), info]), nonce);
  }

  manifestTag(canonicalBytes: Buffer): string {
    return createHmac('sha256', this.manifestKey).update(canonicalBytes).digest('hex');
  }

  manifestTagMatches(canonicalBytes: Buffer, tag: string): boolean {
    const expected = Buffer.from(this.manifestTag(canonicalBytes), 'hex');
    const given = Buffer.from(tag, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function derive(masterKey: Buffer, info: string | Buffer, salt: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, salt, info, 32));
}
