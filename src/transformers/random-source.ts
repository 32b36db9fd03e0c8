import { randomBytes } from 'node:crypto';
import { keyedSeed } from './salt.js';

/**
 * A stream of pseudo-random numbers: seeded by the keyed digest of a value for deterministic
 * transformers, or by the system's random source otherwise. xoshiro128** on 32-bit integers: plenty for
 * fake data, and cheap enough for faker, which draws many numbers per value.
 */
export class RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(seed: Buffer) {
    this.a = 0;
    this.b = 0;
    this.c = 0;
    this.d = 0;
    this.reseed(seed);
  }

  /** Restart the stream from a digest's first 16 bytes, in place (one source serves every value of a column). */
  reseed(seed: Buffer): void {
    this.a = seed.readUInt32LE(0);
    this.b = seed.readUInt32LE(4);
    this.c = seed.readUInt32LE(8);
    this.d = seed.readUInt32LE(12);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state never leaves zero
  }

  static seeded(salt: Buffer, label: string, value: string): RandomSource {
    return new RandomSource(keyedSeed(salt, label, value));
  }

  static fromDigest(digest: Buffer): RandomSource {
    return new RandomSource(digest);
  }

  static fresh(): RandomSource {
    return new RandomSource(randomBytes(16));
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  nextUint64(): bigint {
    return (BigInt(this.nextUint32()) << 32n) | BigInt(this.nextUint32());
  }

  /** A float in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /** An integer in [low, high], inclusive. */
  bigintBetween(low: bigint, high: bigint): bigint {
    const span = high - low + 1n;
    const wide = (this.nextUint64() << 64n) | this.nextUint64();
    return low + (wide % span);
  }

  intBelow(limit: number): number {
    return Math.floor(this.next() * limit);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
