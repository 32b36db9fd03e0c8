import { createHash, createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 of short messages, computed in JavaScript with the key's inner and outer states prepared
 * once. Every fake value costs one keyed digest, and node's `createHmac` pays about 3 µs per call in
 * object creation, key set-up (two extra compressions) and crossings into C++: at 300,000 values a second
 * it was most of a transformed table's time. Here a value of up to 55 bytes costs two compressions and no
 * allocation but the 32-byte result, about 2.5 × faster. The output is HMAC-SHA256 bit for bit (a
 * property test compares it with node's on random inputs), so fake values do not change.
 * Messages longer than the scratch buffer go to `createHmac`. See docs/decisions/0006-keyed-digest-in-js.md.
 */
/** Values up to about 2.7 KB of UTF-8 take the fast path; longer ones are rare enough for createHmac. */
const SCRATCH_BYTES = 8192;

export class KeyedDigester {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly scratch = Buffer.alloc(SCRATCH_BYTES);
  private readonly outerBlock = new Uint8Array(64);

  constructor(private readonly key: Buffer) {
    // Keys longer than a block are hashed first (RFC 2104).
    const block = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    const ipad = new Uint8Array(64).fill(0x36);
    const opad = new Uint8Array(64).fill(0x5c);
    for (let i = 0; i < block.length; i += 1) {
      ipad[i]! ^= block[i]!;
      opad[i]! ^= block[i]!;
    }
    this.inner.set(IV);
    compress(this.inner, ipad, 0);
    this.outer.set(IV);
    compress(this.outer, opad, 0);
    // The outer message is always the 32-byte inner digest: its padding never changes.
    this.outerBlock[32] = 0x80;
    this.outerBlock[62] = 0x03; // (64 + 32) bytes = 768 bits = 0x300
  }

  /** HMAC-SHA256 of the parts, each followed by a NUL byte (so ('ab','c') and ('a','bc') differ). */
  digest(parts: readonly string[]): Buffer {
    let worstCase = 0;
    for (const part of parts) worstCase += part.length * 3 + 1;
    if (worstCase > SCRATCH_BYTES - 72) return this.slowDigest(parts);
    const buffer = this.scratch;
    let length = 0;
    for (const part of parts) {
      length += buffer.write(part, length, 'utf8');
      buffer[length++] = 0;
    }
    return this.finish(length);
  }

  private finish(length: number): Buffer {
    const buffer = this.scratch;
    // SHA-256 padding: 0x80, zeros, then the length in bits of ipad block + message, big-endian.
    const padded = ((length + 9 + 63) >> 6) << 6;
    buffer[length] = 0x80;
    buffer.fill(0, length + 1, padded - 4);
    buffer.writeUInt32BE((length + 64) * 8, padded - 4);
    const state = this.state;
    state.set(this.inner);
    for (let offset = 0; offset < padded; offset += 64) compress(state, buffer, offset);
    const outerBlock = this.outerBlock;
    for (let i = 0; i < 8; i += 1) {
      const word = state[i]!;
      outerBlock[i * 4] = word >>> 24;
      outerBlock[i * 4 + 1] = word >>> 16;
      outerBlock[i * 4 + 2] = word >>> 8;
      outerBlock[i * 4 + 3] = word;
    }
    state.set(this.outer);
    compress(state, outerBlock, 0);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i += 1) out.writeInt32BE(state[i]!, i * 4);
    return out;
  }

  private slowDigest(parts: readonly string[]): Buffer {
    const hmac = createHmac('sha256', this.key);
    for (const part of parts) {
      hmac.update(part);
      hmac.update('\u0000');
    }
    return hmac.digest();
  }
}

const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Int32Array(64);

/** One SHA-256 compression (FIPS 180-4, section 6.2.2) of the 64 bytes at `offset` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i += 1) {
    const j = offset + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i += 1) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i += 1) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}
