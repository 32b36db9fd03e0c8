import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DumpFault } from './dump-fault.js';
import type { ManifestChunk } from './manifest.js';

/** Counts and hashes the bytes passing through: the stored form of a chunk, as the manifest records it. */
export class ChunkDigest extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digestHex: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  get sha256(): string {
    this.digestHex ??= this.hash.digest('hex');
    return this.digestHex;
  }
}

/**
 * Checks a stored chunk against its manifest entry while it streams, and fails the stream at its end
 * if the byte count or SHA-256 differ (a truncated, extended or altered chunk).
 */
export class ChunkVerifier extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly expected: ManifestChunk,
    private readonly where: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected.storedBytes) {
      const at = this.expected.storedBytes;
      callback(new DumpFault(`${this.where}, byte offset ${at}: chunk is longer than the manifest says (${at} bytes)`, this.expected.key, at));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes !== this.expected.storedBytes) {
      callback(new DumpFault(`${this.where}, byte offset ${this.bytes}: chunk is truncated (${this.bytes} of ${this.expected.storedBytes} bytes)`, this.expected.key, this.bytes));
      return;
    }
    if (this.hash.digest('hex') !== this.expected.sha256) {
      callback(new DumpFault(`${this.where}: chunk checksum does not match the manifest (the chunk was altered)`, this.expected.key));
      return;
    }
    callback();
  }
}

/** Rows in COPY text: every row ends with a newline, and newlines inside values are escaped. */
export function countNewlines(buffer: Buffer): number {
  let count = 0;
  let position = buffer.indexOf(10);
  while (position !== -1) {
    count += 1;
    position = buffer.indexOf(10, position + 1);
  }
  return count;
}
