import { ReplibyteError } from '../errors.js';

/**
 * The `bson-documents` encoding: BSON documents back to back. Each starts with its own int32
 * little-endian length (which includes those 4 bytes), so the stream needs no framing of its own.
 * Chunk boundaries fall anywhere, so both readers below carry a partial document over.
 */

/** MongoDB's limit on one document (and what every server since 1.8 enforces). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** Documents are handed on in pieces of about this size. */
const PIECE_BYTES = 1 << 20;
/** A piece of a document at least this long is handed on as it is, not copied into a gathered piece. */
const PASS_BYTES = 256 * 1024;

/**
 * Gathers documents (each as one or more pieces, back to back) into the pieces of a part: short ones
 * copied together into pieces of about 1 MB, a long one (a wide document, or its untouched fields)
 * handed on as it is, so that a wide document is never copied to be written.
 */
export class DocumentPieces {
  private pending: Buffer[] = [];
  private bytes = 0;

  /** Takes one document's pieces; returns the part's pieces that are ready, in order (often none). */
  add(pieces: readonly Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    for (const piece of pieces) {
      if (piece.length >= PASS_BYTES) {
        this.flushInto(out);
        out.push(piece);
        continue;
      }
      this.pending.push(piece);
      this.bytes += piece.length;
      if (this.bytes >= PIECE_BYTES) this.flushInto(out);
    }
    return out;
  }

  /** What is still gathered. */
  finish(): Buffer[] {
    const out: Buffer[] = [];
    this.flushInto(out);
    return out;
  }

  private flushInto(out: Buffer[]): void {
    if (this.bytes === 0) return;
    out.push(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.bytes));
    this.pending = [];
    this.bytes = 0;
  }
}

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

/**
 * Splits a byte stream into whole documents (each a Buffer of its own), piece by piece. A document
 * within one piece is a view of it; one cut across pieces is held as those pieces and joined once, when
 * its last byte arrives (joining the held bytes again with every piece was quadratic in its size).
 */
export class BsonDocumentSplitter {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The length of the held document, once its first four bytes have arrived (0 before). */
  private length = 0;

  constructor(private readonly where: string) {}

  /** The documents `piece` completes, in order. */
  push(piece: Buffer): Buffer[] {
    const documents: Buffer[] = [];
    let offset = 0;
    if (this.heldBytes > 0) {
      if (this.length === 0) {
        const start = Buffer.concat([...this.held, piece.subarray(0, 4)]);
        if (start.length >= 4) this.length = this.declared(start.readInt32LE(0));
      }
      const missing = this.length - this.heldBytes;
      if (this.length === 0 || piece.length < missing) {
        this.held.push(piece);
        this.heldBytes += piece.length;
        return documents;
      }
      documents.push(Buffer.concat([...this.held, piece.subarray(0, missing)], this.length));
      this.held = [];
      this.heldBytes = 0;
      this.length = 0;
      offset = missing;
    }
    while (piece.length - offset >= 4) {
      const size = this.declared(piece.readInt32LE(offset));
      if (piece.length - offset < size) break;
      documents.push(piece.subarray(offset, offset + size));
      offset += size;
    }
    if (offset < piece.length) {
      this.held = [piece.subarray(offset)];
      this.heldBytes = piece.length - offset;
      this.length = this.heldBytes >= 4 ? this.declared(piece.readInt32LE(offset)) : 0;
    }
    return documents;
  }

  /** Throws if the stream stopped inside a document. */
  end(): void {
    if (this.heldBytes > 0) throw new ReplibyteError(`${this.where}: the BSON stream ends inside a document (${this.heldBytes} bytes left over)`);
  }

  private declared(length: number): number {
    if (length < 5) throw new ReplibyteError(`${this.where}: malformed BSON stream (a document declares ${length} bytes)`);
    return length;
  }
}

/** The documents of a byte stream, one by one (BsonDocumentSplitter). */
export async function* splitBsonDocuments(pieces: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  const splitter = new BsonDocumentSplitter(where);
  for await (const piece of pieces) yield* splitter.push(piece);
  splitter.end();
}
