import { BSON } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { userDocuments } from '../../../test/fixtures/mongodb/collections.js';
import type { ColumnTransform } from '../../transformers/row-transform.js';
import { readAtPath, rewriteAtPath, parseFieldPath } from '../../transformers/field-path.js';
import { DocumentTransform, EXACT_BSON } from './document-transform.js';

const PATHS = ['profile.email', 'contacts.$.phone', 'aliases.$[]', 'name'];

/** Upper-cases a string and appends what the template reads (the original `profile.city`). */
const TRANSFORMS: ColumnTransform[] = PATHS.map((_, index) => ({
  index,
  apply: (value, row) => (value === null ? 'was null' : `${value.toUpperCase()}|${row.get('profile.city') ?? '-'}`),
}));

/** The obvious implementation: the whole document decoded, every path rewritten, encoded again. */
function reference(raw: Buffer): Buffer {
  const original = BSON.deserialize(raw, EXACT_BSON);
  const document = BSON.deserialize(raw, EXACT_BSON);
  const city = readAtPath(original, parseFieldPath('profile.city'));
  PATHS.forEach((path, index) =>
    rewriteAtPath(document, parseFieldPath(path), (value) =>
      typeof value === 'string' || value === null ? TRANSFORMS[index]!.apply(value, { get: () => (city === undefined ? null : String(city)) }) : value,
    ),
  );
  return Buffer.from(BSON.serialize(document));
}

describe('DocumentTransform', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes what decoding the whole document would, and counts the same statistics', () => {
    const transform = new DocumentTransform(PATHS, TRANSFORMS, 'collection app.users');
    for (const document of [...userDocuments(20), { _id: 1, other: 'x' }, { _id: 2, name: null, profile: { city: 'Brest' } }]) {
      const raw = Buffer.from(BSON.serialize(document));
      expect(transform.apply(raw).equals(reference(raw))).toBe(true);
    }
    expect(transform.documents).toBe(22);
    expect(transform.statistics.find((s) => s.path === 'contacts.$.phone')).toEqual({ path: 'contacts.$.phone', matched: 60, notStrings: 20 });
  });

  it('keeps a wide document\'s other fields as views of its bytes: only the field it rewrites is decoded', () => {
    const body = 'abcdefghijklmnopqrstuvwxyz012345'.repeat(1 << 17); // 4 MB
    const raw = Buffer.from(BSON.serialize({ _id: 7, name: 'Ann', body, after: [1, 2] }));
    let joined = 0;
    const concat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const out = concat(list, length);
      joined += out.length;
      return out;
    });
    const pieces = new DocumentTransform(['name'], [{ index: 0, apply: (v) => `${v}!` }], 'collection c').applyPieces(raw);
    expect(joined).toBe(0);
    // The body goes on as a view of the document read, not a copy of it (nor a 4 MB string and back).
    expect(pieces.some((piece) => piece.buffer === raw.buffer && piece.length > body.length)).toBe(true);
    const output = concat(pieces);
    expect(BSON.deserialize(output)).toEqual({ _id: 7, name: 'Ann!', body, after: [1, 2] });
    expect(output.readInt32LE(0)).toBe(output.length);
  });

  it('leaves a document whose paths reach nothing as it was, the same buffer', () => {
    const raw = Buffer.from(BSON.serialize({ _id: 1, kept: 'yes' }));
    const pieces = new DocumentTransform(['absent.path'], [{ index: 0, apply: () => 'x' }], 'collection c').applyPieces(raw);
    expect(pieces).toEqual([raw]);
  });

  it('decodes a document with a field name given twice whole, as before (one of the two is kept)', () => {
    const one = Buffer.from(BSON.serialize({ name: 'first' }));
    const two = Buffer.from(BSON.serialize({ name: 'second' }));
    // { _id: 1, name: 'first', name: 'second' } by hand: the elements of both after _id's.
    const id = Buffer.from(BSON.serialize({ _id: 1 }));
    const body = Buffer.concat([id.subarray(4, id.length - 1), one.subarray(4, one.length - 1), two.subarray(4, two.length - 1)]);
    const raw = Buffer.concat([Buffer.alloc(4), body, Buffer.alloc(1)]);
    raw.writeInt32LE(raw.length, 0);
    const output = new DocumentTransform(['name'], [{ index: 0, apply: (v) => `<${v}>` }], 'collection c').apply(raw);
    expect(BSON.deserialize(output)).toEqual({ _id: 1, name: '<second>' });
  });

  it('refuses a document that the transform makes larger than 16 MiB, naming its _id', () => {
    const raw = Buffer.from(BSON.serialize({ _id: 'big', name: 'a', body: 'x'.repeat(16 * 1024 * 1024 - 100) }));
    const transform = new DocumentTransform(['name'], [{ index: 0, apply: () => 'y'.repeat(200) }], 'collection c');
    expect(() => transform.applyPieces(raw)).toThrow(`collection c: document {"_id":"big"} is ${raw.length + 199} bytes once transformed, over MongoDB's 16 MiB document limit`);
  });
});
