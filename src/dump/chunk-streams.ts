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
 * Checks a stored chunk against its manifest entry while it streams. It passes on at most the bytes
 * the manifest announces and never fails the stream itself: it records the first failure (a
 * truncated, extended or altered chunk) in `failure`, for the reader to report. The reader lets a
 * decryption error win over a checksum mismatch, because it names the segment where the damage is.
 */
export class ChunkVerifier extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');
  failure: DumpFault | undefined;

  constructor(
    private readonly expected: ManifestChunk,
    private readonly where: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const room = this.expected.storedBytes - this.bytes;
    this.bytes += chunk.length;
    if (this.bytes > this.expected.storedBytes) {
      const at = this.expected.storedBytes;
      this.failure ??= new DumpFault(`${this.where}, byte offset ${at}: chunk is longer than the manifest says (${at} bytes)`, this.expected.key, at);
      if (room <= 0) return callback();
      chunk = chunk.subarray(0, room);
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) return callback();
    if (this.bytes < this.expected.storedBytes) {
      this.failure = new DumpFault(`${this.where}, byte offset ${this.bytes}: chunk is truncated (${this.bytes} of ${this.expected.storedBytes} bytes)`, this.expected.key, this.bytes);
    } else if (this.hash.digest('hex') !== this.expected.sha256) {
      this.failure = new DumpFault(`${this.where}: chunk checksum does not match the manifest (the chunk was altered)`, this.expected.key);
    }
    callback();
  }

  /** A wrong size explains any later error best; a checksum mismatch says less than a failed segment. */
  get sizeFailure(): DumpFault | undefined {
    return this.failure?.offset !== undefined ? this.failure : undefined;
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
