import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The original Replibyte's chunk encryption, read only: AES-256-GCM with the key = the UTF-8
 * passphrase cut to 32 bytes or right-padded with 'x', the fixed nonce "unique nonce" for every chunk
 * of every dump, and the stored chunk = ciphertext || 16-byte tag. docs/format.md says why it is unsafe.
 */
export const LEGACY_NONCE = Buffer.from('unique nonce', 'ascii');
const TAG_BYTES = 16;

export function legacyKey(passphrase: string): Buffer {
  const bytes = Buffer.from(passphrase, 'utf8').subarray(0, 32);
  return Buffer.concat([bytes, Buffer.alloc(32 - bytes.length, 'x')]);
}

export class LegacyAuthenticationError extends Error {}

/**
 * Decrypts one legacy chunk as a stream, holding back the last 16 bytes (the tag) until the end, where
 * the tag is checked. The whole chunk has one tag, so plaintext is released before it is verified:
 * callers authenticate every chunk in a first pass (`release: false`) before reading for real.
 */
export class LegacyChunkOpener extends Transform {
  private readonly decipher: DecipherGCM;
  private tail = Buffer.alloc(0);

  constructor(
    key: Buffer,
    private readonly release: boolean,
  ) {
    super();
    this.decipher = createDecipheriv('aes-256-gcm', key, LEGACY_NONCE);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const joined = Buffer.concat([this.tail, chunk]);
    const cut = Math.max(0, joined.length - TAG_BYTES);
    this.tail = Buffer.from(joined.subarray(cut));
    const plaintext = this.decipher.update(joined.subarray(0, cut));
    if (this.release && plaintext.length > 0) this.push(plaintext);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.tail.length < TAG_BYTES) {
      callback(new LegacyAuthenticationError('the chunk is shorter than its 16-byte tag'));
      return;
    }
    this.decipher.setAuthTag(this.tail);
    try {
      this.decipher.final();
    } catch {
      callback(new LegacyAuthenticationError('the chunk fails authentication'));
      return;
    }
    callback();
  }
}
