import fc from 'fast-check';
import { BSON } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BsonDocumentCounter, BsonDocumentSplitter, DocumentPieces, splitBsonDocuments } from './bson-documents.js';

const documentBytes = (document: BSON.Document) => Buffer.from(BSON.serialize(document));

/** `bytes` cut at the given offsets (sorted, deduplicated) into pieces. */
function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces;
}

async function* from(pieces: Buffer[]): AsyncGenerator<Buffer> {
  yield* pieces;
}

describe('BSON document streams', () => {
  afterEach(() => vi.restoreAllMocks());

  it('splits a stream into its documents wherever it is cut, and counts them', async () => {
    const documents = fc.array(fc.record({ _id: fc.integer(), text: fc.string({ maxLength: 300 }) }), { minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(documents, fc.array(fc.nat(), { maxLength: 40 }), async (list, offsets) => {
        const raws = list.map(documentBytes);
        const pieces = cutAt(Buffer.concat(raws), offsets);
        const split: Buffer[] = [];
        for await (const document of splitBsonDocuments(from(pieces), 'test')) split.push(Buffer.from(document));
        expect(split).toEqual(raws);
        const counter = new BsonDocumentCounter();
        expect(pieces.reduce((sum, piece) => sum + counter.push(piece), 0)).toBe(raws.length);
      }),
      { numRuns: 200 },
    );
  });

  it('joins a 4 MB document cut into 16 KB pieces once (not again with every piece)', () => {
    const raw = documentBytes({ _id: 1, body: 'y'.repeat(4 << 20) });
    const small = documentBytes({ _id: 2 });
    const bytes = Buffer.concat([small, raw, small]);
    let joined = 0;
    const concat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const out = concat(list, length);
      joined += out.length;
      return out;
    });
    const splitter = new BsonDocumentSplitter('test');
    const split: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 16 * 1024) split.push(...splitter.push(bytes.subarray(at, at + 16 * 1024)));
    splitter.end();
    expect(split.map((d) => d.length)).toEqual([small.length, raw.length, small.length]);
    // Before, the held bytes were joined with each new piece: about 550 MB for this document.
    expect(joined).toBeLessThan(1.01 * raw.length);
  });

  it('refuses a stream that stops inside a document, or a document shorter than 5 bytes', async () => {
    const raw = documentBytes({ _id: 1, text: 'abc' });
    await expect(async () => {
      for await (const _ of splitBsonDocuments(from([raw, raw.subarray(0, 10)]), 'part p')) void _;
    }).rejects.toThrow('part p: the BSON stream ends inside a document (10 bytes left over)');
    await expect(async () => {
      for await (const _ of splitBsonDocuments(from([Buffer.from([4, 0]), Buffer.from([0, 0, 0])]), 'part p')) void _;
    }).rejects.toThrow('part p: malformed BSON stream (a document declares 4 bytes)');
  });

  it('gathers short documents into pieces of about 1 MB and hands a long one on as it is', () => {
    const gathered = new DocumentPieces();
    const small = documentBytes({ _id: 1, text: 'x'.repeat(1000) });
    const wide = Buffer.alloc(2 << 20, 1);
    const out: Buffer[] = [];
    for (let i = 0; i < 1500; i += 1) out.push(...gathered.add([small]));
    out.push(...gathered.add([small.subarray(0, 10), wide, small.subarray(10)]));
    out.push(...gathered.finish());
    expect(out.includes(wide)).toBe(true);
    expect(out.filter((piece) => piece !== wide).every((piece) => piece.length <= (1 << 20) + small.length)).toBe(true);
    const expected = Buffer.concat([...Array.from({ length: 1500 }, () => small), small.subarray(0, 10), wide, small.subarray(10)]);
    expect(Buffer.concat(out).equals(expected)).toBe(true);
  });
});
