import fc from 'fast-check';
import { BSON, BSONSymbol, Code, DBRef, Int32, ObjectId, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { userDocuments } from '../../test/fixtures/mongodb/collections.js';
import { documentOf, topLevelElements } from './bson-elements.js';

const bytesOf = (document: BSON.Document) => Buffer.from(BSON.serialize(document));

describe('top-level BSON elements', () => {
  it('finds every field of documents of every BSON type, their bytes in order', () => {
    const documents = [
      ...userDocuments(5),
      { _id: 1, symbol: new BSONSymbol('s'), scoped: new Code('x', { a: new Int32(1) }), ref: new DBRef('c', new ObjectId()), ts: Timestamp.fromInt(3), nested: { a: [1, { b: 2 }] } },
      { _id: 2, empty: {}, list: [], text: '', undef: undefined },
    ];
    for (const document of documents) {
      const raw = bytesOf(document);
      const elements = topLevelElements(raw)!;
      expect(elements.map((e) => e.name)).toEqual(Object.keys(BSON.deserialize(raw, { promoteValues: false })));
      // The elements tile the document between its length and its final 0.
      expect(documentOf(elements.map((e) => raw.subarray(e.start, e.end))).equals(raw)).toBe(true);
    }
  });

  it('agrees with the BSON library on generated documents', () => {
    const name = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\0') && !/^\d+$/.test(s));
    const value = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }), fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)));
    const document = fc.dictionary(name, fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.dictionary(name, value, { maxKeys: 3 })), { maxKeys: 8 });
    fc.assert(
      fc.property(document, (doc) => {
        const raw = bytesOf(doc);
        const elements = topLevelElements(raw)!;
        expect(elements.map((e) => e.name)).toEqual(Object.keys(doc));
        expect(documentOf(elements.map((e) => raw.subarray(e.start, e.end))).equals(raw)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('gives up on bytes that are not a well-formed document (the BSON library then says why)', () => {
    const raw = bytesOf({ a: 'text', b: 1 });
    expect(topLevelElements(raw.subarray(0, raw.length - 1))).toBeUndefined();
    const unknownType = Buffer.from(raw);
    unknownType[4] = 0x42;
    expect(topLevelElements(unknownType)).toBeUndefined();
    const overrun = Buffer.from(raw);
    overrun.writeInt32LE(1000, 7); // the string's length
    expect(topLevelElements(overrun)).toBeUndefined();
  });
});
