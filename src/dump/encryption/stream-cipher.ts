import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár; as used by age and Tink) over
 * AES-256-GCM, for one chunk. Byte layout (docs/format.md, "Encryption"):
 *
 *   header  = magic "RBS1" (4 bytes) || nonce (16 random bytes)
 *   segment = AES-256-GCM(key, iv = counter (11 bytes, big-endian) || last (1 byte: 0 or 1),
 *                         aad = header, plaintext of 64 KiB, or 0..64 KiB for the last) || tag (16 bytes)
 *
 * The key is derived from the header nonce (and, by the caller, from the dump and the chunk position),
 * so no two chunks share a key and the counter alone keeps every IV unique under a key. The last
 * segment is marked in its IV: a stream cut at a segment boundary, or extended past its end, fails.
 * A segment's plaintext leaves the stream only after its tag verified.
 */

export const MAGIC = Buffer.from('RBS1', 'ascii');
export const HEADER_BYTES = MAGIC.length + 16;
export const SEGMENT_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;
const MAX_SEGMENTS = 2 ** 32;

/** Maps a chunk's header nonce to its AES-256 key. */
export type KeyForNonce = (nonce: Buffer) => Buffer;

/** A fault in a sealed stream, with the byte offset (in the stored chunk) of the segment that failed. */
export class StreamFault extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'StreamFault';
  }
}

function iv(counter: number, last: boolean): Buffer {
  if (counter >= MAX_SEGMENTS) throw new Error('a chunk cannot hold more than 2^32 segments');
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(counter, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encrypts a byte stream into header + sealed segments. */
export class StreamSealer extends Transform {
  private readonly header: Buffer;
  private readonly key: Buffer;
  private pending: Buffer = Buffer.alloc(0);
  private counter = 0;

  constructor(keyForNonce: KeyForNonce, nonce: Buffer = randomBytes(16)) {
    super();
    this.header = Buffer.concat([MAGIC, nonce]);
    this.key = keyForNonce(nonce);
    this.push(this.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      // Strictly more than one segment: the data after it proves this one is not the last.
      while (this.pending.length > SEGMENT_BYTES) {
        this.push(this.seal(this.pending.subarray(0, SEGMENT_BYTES), false));
        this.pending = this.pending.subarray(SEGMENT_BYTES);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.push(this.seal(this.pending, true));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private seal(plaintext: Buffer, last: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, iv(this.counter++, last));
    cipher.setAAD(this.header);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([body, cipher.getAuthTag()]);
  }
}

/** Decrypts header + sealed segments, releasing each segment's plaintext only once its tag verified. */
export class StreamOpener extends Transform {
  private header: Buffer | undefined;
  private key: Buffer | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private counter = 0;
  /** Stored-byte offset of the first byte in `pending`. */
  private offset = 0;

  constructor(private readonly keyForNonce: KeyForNonce) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      if (!this.header) {
        if (this.pending.length < HEADER_BYTES) return callback();
        this.readHeader();
      }
      while (this.pending.length > SEALED_SEGMENT_BYTES) {
        this.push(this.open(this.pending.subarray(0, SEALED_SEGMENT_BYTES), false));
        this.pending = this.pending.subarray(SEALED_SEGMENT_BYTES);
        this.offset += SEALED_SEGMENT_BYTES;
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.header) {
        if (this.pending.length < HEADER_BYTES) {
          throw new StreamFault(`truncated: ${this.pending.length} bytes, shorter than the ${HEADER_BYTES}-byte header`, 0);
        }
        this.readHeader();
      }
      if (this.pending.length < TAG_BYTES) {
        throw new StreamFault('truncated: the last segment is missing', this.offset);
      }
      this.push(this.open(this.pending, true));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private readHeader(): void {
    if (!this.pending.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new StreamFault('not an encrypted replibyte chunk (bad magic bytes)', 0);
    }
    this.header = Buffer.from(this.pending.subarray(0, HEADER_BYTES));
    this.key = this.keyForNonce(this.header.subarray(MAGIC.length));
    this.pending = this.pending.subarray(HEADER_BYTES);
    this.offset = HEADER_BYTES;
  }

  private open(sealed: Buffer, last: boolean): Buffer {
    const segment = this.counter;
    const decipher = createDecipheriv('aes-256-gcm', this.key!, iv(this.counter++, last));
    decipher.setAAD(this.header!);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      const why = last
        ? 'it was altered, truncated, or extended, or belongs to another dump or position'
        : 'it was altered, or belongs to another dump or position';
      throw new StreamFault(`segment ${segment} fails authentication: ${why}`, this.offset);
    }
    return plaintext;
  }
}
