import { ReplibyteError } from '../errors.js';

/**
 * The `bson-documents` encoding: BSON documents back to back. Each starts with its own int32
 * little-endian length (which includes those 4 bytes), so the stream needs no framing of its own.
 * Chunk boundaries fall anywhere, so both readers below carry a partial document over.
 */

/** MongoDB's limit on one document (and what every server since 1.8 enforces). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** Counts the documents of a stream piece by piece without copying them (for the manifest's `rows`). */
export class BsonDocumentCounter {
  count = 0;
  /** Bytes of the current document still to come. */
  private remaining = 0;
  private header: number[] = [];

  push(piece: Buffer): number {
    const before = this.count;
    let offset = 0;
    while (offset < piece.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, piece.length - offset);
        this.remaining -= take;
        offset += take;
        continue;
      }
      this.header.push(piece[offset]!);
      offset += 1;
      if (this.header.length === 4) {
        const length = Buffer.from(this.header).readInt32LE(0);
        this.header = [];
        if (length < 5) throw new ReplibyteError(`malformed BSON stream: a document declares ${length} bytes`);
        this.remaining = length - 4;
        this.count += 1;
      }
    }
    return this.count - before;
  }
}

/** Splits a byte stream into whole documents (each a Buffer of its own). */
export async function* splitBsonDocuments(pieces: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const piece of pieces) {
    let buffer = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readInt32LE(offset);
      if (length < 5) throw new ReplibyteError(`${where}: malformed BSON stream (a document declares ${length} bytes)`);
      if (buffer.length - offset < length) break;
      yield buffer.subarray(offset, offset + length);
      offset += length;
    }
    buffer = buffer.subarray(offset);
    carry = Buffer.from(buffer);
  }
  if (carry.length > 0) throw new ReplibyteError(`${where}: the BSON stream ends inside a document (${carry.length} bytes left over)`);
}
