import { BSON, Int32, Long, type Document } from 'mongodb';
import { ReplibyteError } from '../errors.js';

/**
 * The mongodump archive format (`mongodump --archive`), from its published specification
 * (mongo-tools, `common/archive`): the magic number, a header document, one metadata document per
 * collection, a terminator, then namespace segments (a namespace header, documents, a terminator) and
 * one EOF header per namespace carrying the CRC-64 (ECMA polynomial, as Go's hash/crc64) of all its
 * documents. Documented in docs/format.md#mongodb.
 */

export const ARCHIVE_MAGIC = 0x8199e26d;
export const TERMINATOR = Buffer.from([0xff, 0xff, 0xff, 0xff]);

export function magicBytes(): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(ARCHIVE_MAGIC, 0);
  return buffer;
}

export function encodeDocument(document: Document): Buffer {
  return Buffer.from(BSON.serialize(document));
}

/** A size as Go's bson encodes an `int`: int32 when it fits, int64 otherwise. */
export function goInt(value: number): Int32 | Long {
  return value <= 0x7fffffff ? new Int32(value) : Long.fromNumber(value);
}

/** CRC-64 with the ECMA-182 polynomial in reflected form, initial and final XOR all ones (Go's crc64.ECMA). */
export class Crc64 {
  private static table: Array<[number, number]> | undefined;
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  private static build(): Array<[number, number]> {
    // Reflected polynomial 0xC96C5795D7870F42, kept as two unsigned 32-bit halves.
    const polyHi = 0xc96c5795;
    const polyLo = 0xd7870f42;
    const table: Array<[number, number]> = [];
    for (let byte = 0; byte < 256; byte += 1) {
      let hi = 0;
      let lo = byte;
      for (let bit = 0; bit < 8; bit += 1) {
        const carry = lo & 1;
        lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
        hi = hi >>> 1;
        if (carry) {
          hi = (hi ^ polyHi) >>> 0;
          lo = (lo ^ polyLo) >>> 0;
        }
      }
      table.push([hi, lo]);
    }
    return table;
  }

  update(bytes: Uint8Array): this {
    const table = (Crc64.table ??= Crc64.build());
    let { hi, lo } = this;
    for (let i = 0; i < bytes.length; i += 1) {
      const [tHi, tLo] = table[(lo ^ bytes[i]!) & 0xff]!;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      hi = hi >>> 8;
      hi = (hi ^ tHi) >>> 0;
      lo = (lo ^ tLo) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** The checksum as the int64 mongodump stores (Go's uint64 reinterpreted as signed). */
  digest(): Long {
    return Long.fromBits((~this.lo) >>> 0 | 0, (~this.hi) >>> 0 | 0, false);
  }
}

export type ArchiveEvent =
  | { type: 'header'; header: Document }
  | { type: 'collection'; db: string; collection: string; metadata: Document }
  | { type: 'document'; db: string; collection: string; raw: Buffer }
  | { type: 'eof'; db: string; collection: string; crc: Long };

/**
 * Reads an archive as a stream of events, holding at most one document (and one read piece) at a time.
 * Segments of different namespaces may interleave, as mongodump writes them with parallel collections.
 */
export async function* readMongoArchive(pieces: AsyncIterable<Buffer>): AsyncGenerator<ArchiveEvent> {
  let buffer: Buffer = Buffer.alloc(0);
  let offset = 0;
  const iterator = pieces[Symbol.asyncIterator]();
  let ended = false;
  const need = async (count: number): Promise<boolean> => {
    while (buffer.length - offset < count) {
      if (ended) return false;
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        return false;
      }
      buffer = Buffer.concat([buffer.subarray(offset), next.value]);
      offset = 0;
    }
    return true;
  };
  /** The next document, or null at a terminator; undefined at the end of the input. */
  const nextDocument = async (): Promise<Buffer | null | undefined> => {
    if (!(await need(4))) return undefined;
    const length = buffer.readInt32LE(offset);
    if (length === -1) {
      offset += 4;
      return null;
    }
    if (length < 5) throw new ReplibyteError(`mongodump archive: malformed document length ${length}`);
    if (!(await need(length))) throw new ReplibyteError('mongodump archive: the input ends inside a document');
    const document = Buffer.from(buffer.subarray(offset, offset + length));
    offset += length;
    return document;
  };

  if (!(await need(4)) || buffer.readUInt32LE(0) !== ARCHIVE_MAGIC) {
    throw new ReplibyteError('the input is not a mongodump archive (no magic number); make it with mongodump --archive');
  }
  offset = 4;
  const header = await nextDocument();
  if (!header) throw new ReplibyteError('mongodump archive: no header');
  yield { type: 'header', header: BSON.deserialize(header) };
  for (;;) {
    const document = await nextDocument();
    if (document === undefined) throw new ReplibyteError('mongodump archive: the input ends inside the collection list');
    if (document === null) break;
    const entry = BSON.deserialize(document);
    const metadata = typeof entry.metadata === 'string' && entry.metadata ? (BSON.EJSON.parse(entry.metadata, { relaxed: false }) as Document) : {};
    yield { type: 'collection', db: String(entry.db), collection: String(entry.collection), metadata };
  }
  for (;;) {
    const document = await nextDocument();
    if (document === undefined) return;
    if (document === null) throw new ReplibyteError('mongodump archive: a terminator where a namespace header was expected');
    const namespace = BSON.deserialize(document, { promoteLongs: false });
    const db = String(namespace.db);
    const collection = String(namespace.collection);
    if (namespace.EOF === true) {
      yield { type: 'eof', db, collection, crc: namespace.CRC instanceof Long ? namespace.CRC : Long.fromNumber(Number(namespace.CRC ?? 0)) };
      if ((await nextDocument()) !== null) throw new ReplibyteError(`mongodump archive: no terminator after the end of ${db}.${collection}`);
      continue;
    }
    for (;;) {
      const raw = await nextDocument();
      if (raw === undefined) throw new ReplibyteError(`mongodump archive: the input ends inside ${db}.${collection}`);
      if (raw === null) break;
      yield { type: 'document', db, collection, raw };
    }
  }
}
