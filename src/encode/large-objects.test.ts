import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeEnd, encodeHeader, encodePieces, largeObjectPieces, LargeObjectParser, PIECE_BYTES, type LargeObjectHeader } from './large-objects.js';

const headers: LargeObjectHeader[] = [
  { oid: 16401, owner: 'alice', acl: null, comment: null },
  { oid: 16402, owner: null, acl: [{ grantee: '', privilege: 'SELECT', grantable: false }], comment: 'ünïcode' },
  { oid: 4294967295, owner: 'bob', acl: [], comment: null },
];
const small = [Buffer.alloc(0), randomBytes(3000), Buffer.from('x')];
const large = [Buffer.alloc(0), randomBytes(PIECE_BYTES + 17), Buffer.from('x')];

function encoded(contents = small): Buffer {
  return Buffer.concat(headers.flatMap((header, i) => [encodeHeader(header), ...encodePieces(contents[i]!), encodeEnd()]));
}

async function* inPieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

describe('pg-large-objects encoding', () => {
  it('reads back every header and byte, whatever the boundaries of the pieces it arrives in', async () => {
    for (const [size, contents] of [[1, small], [3, small], [7, small], [4096, large], [Infinity, large]] as const) {
      const bytes = encoded(contents);
      const seen: Array<{ header: LargeObjectHeader; content: Buffer[] }> = [];
      for await (const piece of largeObjectPieces(inPieces(bytes, size), 1000)) {
        if (piece.type === 'object') seen.push({ header: piece.header, content: [] });
        else if (piece.type === 'data') {
          expect(piece.offset).toBe(Buffer.concat(seen.at(-1)!.content).length);
          expect(piece.bytes.length).toBeLessThanOrEqual(1000);
          seen.at(-1)!.content.push(Buffer.from(piece.bytes));
        } else expect(piece.size).toBe(Buffer.concat(seen.at(-1)!.content).length);
      }
      expect(seen.map((object) => object.header)).toEqual(headers);
      seen.forEach((object, i) => expect(Buffer.concat(object.content).equals(contents[i]!)).toBe(true));
    }
  });

  it('refuses a stream cut short, a missing marker and an oversized piece', () => {
    const bytes = encoded();
    const cut = new LargeObjectParser();
    cut.push(bytes.subarray(0, bytes.length - 2));
    expect(() => cut.finish()).toThrow(/cut short/);
    expect(() => new LargeObjectParser().push(Buffer.from('XXXX'))).toThrow(/no record marker/);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(64 * 1024 * 1024);
    expect(() => new LargeObjectParser().push(Buffer.concat([encodeHeader(headers[0]!), huge]))).toThrow(/a piece of/);
  });
});
