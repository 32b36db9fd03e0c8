import { createHmac } from 'node:crypto';

/**
 * The keyed digest behind every deterministic fake value: 32 bytes, the concatenation of two
 * SipHash-2-4-128 outputs of the value under two 128-bit keys derived from the salt.
 *
 * SipHash is a pseudo-random function built for short inputs (hash-table keys): without the key its
 * output cannot be predicted or inverted, so a fake value reveals nothing about the original, and two
 * SipHashes of a 20-byte value cost about a tenth of the two SHA-256 compressions that HMAC-SHA256
 * needed (decision 0009; the digest was most of a transformed table's time). Written here because node's
 * crypto has no SipHash and no well-kept npm package offers the 128-bit variant; `keyed-digest.test.ts`
 * checks it against OpenSSL's SipHash on the reference vectors and on random inputs.
 */
export class KeyedDigester {
  /** Two keys, each as four little-endian 32-bit words: k0 low, k0 high, k1 low, k1 high. */
  private readonly keys: Int32Array;
  private scratch = Buffer.alloc(256);

  constructor(salt: Buffer) {
    // The salt may be any length; the keys are a fixed function of it that reveals nothing about it.
    const derived = createHmac('sha256', salt).update('replibyte seed digest v2').digest();
    this.keys = new Int32Array(8);
    for (let i = 0; i < 8; i += 1) this.keys[i] = derived.readInt32LE(i * 4);
  }

  /**
   * The digest of the parts, each followed by a NUL byte (so ('ab','c') and ('a','bc') differ). Its first
   * 16 bytes are the same whichever width is asked: a caller that needs only a seed pays for one SipHash.
   */
  digest(parts: readonly string[], width: 16 | 32 = 32): Buffer {
    let worstCase = 0;
    for (const part of parts) worstCase += part.length * 3 + 1;
    if (worstCase > this.scratch.length) this.scratch = Buffer.alloc(Math.max(worstCase, this.scratch.length * 2));
    const message = this.scratch;
    let length = 0;
    for (const part of parts) {
      length = writeUtf8(message, part, length);
      message[length++] = 0;
    }
    const out = Buffer.allocUnsafe(width);
    sipHash128(this.keys, 0, message, length, out, 0);
    if (width === 32) sipHash128(this.keys, 4, message, length, out, 16);
    return out;
  }
}

/**
 * SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, the reference's `siphash` with outlen 16),
 * on 32-bit halves since JavaScript has no fast 64-bit integers. The key is `keys[at..at+3]`; the 16
 * output bytes go to `out[outAt..]`, little-endian as the reference writes them.
 */
export function sipHash128(keys: Int32Array, at: number, message: Uint8Array, length: number, out: Uint8Array, outAt: number): void {
  const k0l = keys[at]!;
  const k0h = keys[at + 1]!;
  const k1l = keys[at + 2]!;
  const k1h = keys[at + 3]!;
  // "somepseudorandomlygeneratedbytes", with v1 ^= 0xee for the 128-bit output.
  let v0l = k0l ^ 0x70736575;
  let v0h = k0h ^ 0x736f6d65;
  let v1l = k1l ^ 0x6e646f6d ^ 0xee;
  let v1h = k1h ^ 0x646f7261;
  let v2l = k0l ^ 0x6e657261;
  let v2h = k0h ^ 0x6c796765;
  let v3l = k1l ^ 0x79746573;
  let v3h = k1h ^ 0x74656462;
  // Blocks of 8 bytes; the last holds the rest of the message and the length's low byte on top.
  const lastBlock = length >> 3;
  const phases = lastBlock + 3; // every block, then the two finalisations
  for (let phase = 0; phase < phases; phase += 1) {
    let ml = 0;
    let mh = 0;
    let rounds = 2;
    if (phase < lastBlock) {
      const j = phase * 8;
      ml = message[j]! | (message[j + 1]! << 8) | (message[j + 2]! << 16) | (message[j + 3]! << 24);
      mh = message[j + 4]! | (message[j + 5]! << 8) | (message[j + 6]! << 16) | (message[j + 7]! << 24);
    } else if (phase === lastBlock) {
      mh = (length & 0xff) << 24;
      for (let j = lastBlock * 8, shift = 0; j < length; j += 1, shift += 8) {
        if (shift < 32) ml |= message[j]! << shift;
        else mh |= message[j]! << (shift - 32);
      }
    } else {
      rounds = 4;
      if (phase === lastBlock + 1) v2l ^= 0xee;
      else v1l ^= 0xdd;
    }
    v3l ^= ml;
    v3h ^= mh;
    for (let r = 0; r < rounds; r += 1) {
      // v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32
      let sum = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~sum)) >>> 31)) | 0;
      v0l = sum;
      let tl = (v1l << 13) | (v1h >>> 19);
      let th = (v1h << 13) | (v1l >>> 19);
      v1l = tl ^ v0l;
      v1h = th ^ v0h;
      tl = v0l;
      v0l = v0h;
      v0h = tl;
      // v2 += v3; v3 <<<= 16; v3 ^= v2
      sum = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~sum)) >>> 31)) | 0;
      v2l = sum;
      tl = (v3l << 16) | (v3h >>> 16);
      th = (v3h << 16) | (v3l >>> 16);
      v3l = tl ^ v2l;
      v3h = th ^ v2h;
      // v0 += v3; v3 <<<= 21; v3 ^= v0
      sum = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~sum)) >>> 31)) | 0;
      v0l = sum;
      tl = (v3l << 21) | (v3h >>> 11);
      th = (v3h << 21) | (v3l >>> 11);
      v3l = tl ^ v0l;
      v3h = th ^ v0h;
      // v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32
      sum = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~sum)) >>> 31)) | 0;
      v2l = sum;
      tl = (v1l << 17) | (v1h >>> 15);
      th = (v1h << 17) | (v1l >>> 15);
      v1l = tl ^ v2l;
      v1h = th ^ v2h;
      tl = v2l;
      v2l = v2h;
      v2h = tl;
    }
    v0l ^= ml;
    v0h ^= mh;
    if (phase > lastBlock) {
      const o = outAt + (phase === lastBlock + 1 ? 0 : 8);
      writeInt32LE(out, o, v0l ^ v1l ^ v2l ^ v3l);
      writeInt32LE(out, o + 4, v0h ^ v1h ^ v2h ^ v3h);
    }
  }
}

/** `text` as UTF-8 at `at`; returns the end. ASCII is copied here: a call into C++ costs more than a short value. */
function writeUtf8(buffer: Buffer, text: string, at: number): number {
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return at + buffer.write(text, at, 'utf8');
    buffer[at + i] = code;
  }
  return at + length;
}

function writeInt32LE(out: Uint8Array, at: number, word: number): void {
  out[at] = word;
  out[at + 1] = word >>> 8;
  out[at + 2] = word >>> 16;
  out[at + 3] = word >>> 24;
}
