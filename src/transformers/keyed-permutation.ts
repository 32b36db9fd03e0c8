import { createHmac } from 'node:crypto';

/**
 * A keyed permutation of an integer range of 2^16, 2^32 or 2^64 values (int2, int4, int8): a balanced
 * Feistel network whose round function is HMAC-SHA256. Distinct inputs always give distinct outputs,
 * and without the key the mapping cannot be inverted.
 */
export class KeyedPermutation {
  private readonly halfBits: bigint;
  private readonly halfMask: bigint;
  private readonly low: bigint;
  private readonly keys: Buffer[];

  constructor(salt: Buffer, label: string, range: [bigint, bigint]) {
    const size = range[1] - range[0] + 1n;
    const bits = BigInt(size.toString(2).length - 1);
    if (1n << bits !== size || bits % 2n !== 0n) throw new Error(`keyed permutation needs a range of 2^(2k) values, got ${size}`);
    this.halfBits = bits / 2n;
    this.halfMask = (1n << this.halfBits) - 1n;
    this.low = range[0];
    this.keys = [0, 1, 2, 3].map((round) => createHmac('sha256', salt).update(`${label} permutation round ${round}`).digest());
  }

  apply(value: bigint): bigint {
    const x = value - this.low;
    let left = x >> this.halfBits;
    let right = x & this.halfMask;
    for (const key of this.keys) {
      const next = left ^ this.round(key, right);
      left = right;
      right = next;
    }
    return ((left << this.halfBits) | right) + this.low;
  }

  private round(key: Buffer, half: bigint): bigint {
    const digest = createHmac('sha256', key).update(half.toString(16)).digest();
    return digest.readBigUInt64BE(0) & this.halfMask;
  }
}
