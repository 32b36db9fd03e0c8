/**
 * The top-level elements of a BSON document, found from their type and length bytes without decoding
 * any value (bsonspec.org, "Specification Version 1.1"). A transform that rewrites a few fields then
 * decodes and encodes only those, and passes the others on as the bytes they were: a 15 MB text beside
 * a transformed name is never turned into a string and back.
 */
export interface BsonElement {
  name: string;
  /** Offset of the element's type byte in the document. */
  start: number;
  /** Offset just past the element's value. */
  end: number;
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * The document's top-level elements in order, or undefined when its bytes are not plain well-formed
 * BSON as this reader knows it (a type it does not know, a length that overruns): the caller then
 * decodes the document whole, and the driver's BSON library says what is wrong with it.
 */
export function topLevelElements(document: Uint8Array): BsonElement[] | undefined {
  if (document.length < 5) return undefined;
  const view = new DataView(document.buffer, document.byteOffset, document.byteLength);
  const size = view.getInt32(0, true);
  if (size !== document.length || document[size - 1] !== 0) return undefined;
  const elements: BsonElement[] = [];
  let at = 4;
  while (at < size - 1) {
    const start = at;
    const type = document[at]!;
    const nameEnd = document.indexOf(0, at + 1);
    if (nameEnd === -1 || nameEnd >= size - 1) return undefined;
    let name: string;
    try {
      name = NAME_DECODER.decode(document.subarray(at + 1, nameEnd));
    } catch {
      return undefined;
    }
    const length = valueLength(document, view, type, nameEnd + 1, size - 1);
    if (length === undefined || length < 0) return undefined;
    at = nameEnd + 1 + length;
    if (at > size - 1) return undefined;
    elements.push({ name, start, end: at });
  }
  return elements;
}

/** The length of the value of an element of `type` starting at `at` (before `limit`), or undefined. */
function valueLength(bytes: Uint8Array, view: DataView, type: number, at: number, limit: number): number | undefined {
  const int32 = () => (at + 4 <= limit ? view.getInt32(at, true) : -1);
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return int32() < 1 ? undefined : 4 + int32();
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope (its int32 counts itself)
      return int32() < 5 ? undefined : int32();
    case 0x05: // binary: int32 length, subtype, bytes
      return int32() < 0 ? undefined : 5 + int32();
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0;
    case 0x07: // ObjectId
      return 12;
    case 0x08: // boolean
      return 1;
    case 0x0b: {
      // regular expression: two C strings
      const pattern = bytes.indexOf(0, at);
      const options = pattern === -1 ? -1 : bytes.indexOf(0, pattern + 1);
      return options === -1 ? undefined : options + 1 - at;
    }
    case 0x0c: // DBPointer: string, then a 12-byte ObjectId
      return int32() < 1 ? undefined : 4 + int32() + 12;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      return undefined;
  }
}

/** A document made of the given elements' bytes (each `type name value`), in order. */
export function documentOf(elements: readonly Uint8Array[]): Buffer {
  let size = 5;
  for (const element of elements) size += element.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let at = 4;
  for (const element of elements) {
    out.set(element, at);
    at += element.length;
  }
  out[at] = 0;
  return out;
}
