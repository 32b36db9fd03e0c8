import { randomBytes } from 'node:crypto';
import { keyedDigest } from './salt.js';

/**
 * A stream of pseudo-random numbers: seeded by the keyed digest of a value for deterministic
 * transformers, or by the system's random source otherwise. xorshift128+ is plenty for fake data.
 */
export class RandomSource {
  private s0: bigint;
  private s1: bigint;

  private constructor(seed: Buffer) {
    this.s0 = seed.readBigUInt64LE(0) | 1n;
    this.s1 = seed.readBigUInt64LE(8) | 2n;
  }

  static seeded(salt: Buffer, ...parts: string[]): RandomSource {
    return new RandomSource(keyedDigest(salt, ...parts));
  }

  static fromDigest(digest: Buffer): RandomSource {
    return new RandomSource(digest);
  }

  static fresh(): RandomSource {
    return new RandomSource(randomBytes(16));
  }

  nextUint64(): bigint {
    const mask = (1n << 64n) - 1n;
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x = (x ^ (x << 23n)) & mask;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & mask;
  }

  /** A float in [0, 1). */
  next(): number {
    return Number(this.nextUint64() >> 11n) / 2 ** 53;
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
