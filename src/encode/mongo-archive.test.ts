import { BSON, Long } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Crc64, encodeDocument, magicBytes, readMongoArchive, TERMINATOR, type ArchiveEvent } from './mongo-archive.js';

describe('mongodump archive', () => {
  it('computes CRC-64/ECMA as Go does (check value of "123456789")', () => {
    const crc = new Crc64().update(Buffer.from('123456789')).digest();
    expect(crc.toUnsigned().toString(16)).toBe('995dc9bbdf1939fa');
    expect(new Crc64().digest().isZero()).toBe(true);
  });

  it('reads interleaved segments fed in small pieces', async () => {
    const a = [encodeDocument({ _id: 1 }), encodeDocument({ _id: 2 })];
    const b = [encodeDocument({ _id: 'x' })];
    const crcOf = (docs: Buffer[]) => docs.reduce((crc, doc) => crc.update(doc), new Crc64()).digest();
    const ns = (collection: string, EOF: boolean, CRC: Long) => encodeDocument({ db: 'app', collection, EOF, CRC });
    const build = (crcB: Long) =>
      Buffer.concat([
        magicBytes(),
        encodeDocument({ concurrent_collections: 4, version: '0.1', server_version: '7.0.0', tool_version: 't' }),
        encodeDocument({ db: 'app', collection: 'a', metadata: '{"indexes":[],"type":"collection"}', size: 10 }),
        encodeDocument({ db: 'app', collection: 'b', metadata: '', size: 10 }),
        TERMINATOR,
        ns('a', false, Long.ZERO), a[0]!, TERMINATOR,
        ns('b', false, Long.ZERO), b[0]!, TERMINATOR,
        ns('a', false, Long.ZERO), a[1]!, TERMINATOR,
        ns('a', true, crcOf(a)), TERMINATOR,
        ns('b', true, crcB), TERMINATOR,
      ]);
    const events: ArchiveEvent[] = [];
    const bytes = build(crcOf(b));
    // Fed 7 bytes at a time: no reader may assume a document arrives in one piece.
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    for await (const event of readMongoArchive(pieces())) events.push(event);
    expect(events.map((e) => e.type)).toEqual(['header', 'collection', 'collection', 'document', 'document', 'document', 'eof', 'eof']);
    const documents = events.flatMap((e) => (e.type === 'document' ? [`${e.collection}:${String(BSON.deserialize(e.raw)._id)}`] : []));
    expect(documents).toEqual(['a:1', 'b:x', 'a:2']);
  });
});
