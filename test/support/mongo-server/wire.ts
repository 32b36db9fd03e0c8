import { BSON } from 'bson';

/** MongoDB wire protocol framing: the 16-byte header, OP_MSG, OP_QUERY and OP_REPLY. */

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

export interface Command {
  /** The command document, with kind-1 document sequences merged in as raw BSON buffers. */
  body: Record<string, unknown>;
  /** Raw documents of the kind-1 sections, by identifier (`documents` for insert). */
  sequences: Map<string, Buffer[]>;
}

export interface IncomingMessage {
  requestId: number;
  opCode: number;
  command: Command;
}

/** Splits a byte stream into whole messages; keeps the tail for the next call. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(data: Buffer): IncomingMessage[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    const messages: IncomingMessage[] = [];
    while (this.buffer.length >= 16) {
      const length = this.buffer.readInt32LE(0);
      if (this.buffer.length < length) break;
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      messages.push(parseMessage(message));
    }
    return messages;
  }
}

function parseMessage(message: Buffer): IncomingMessage {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return { requestId, opCode, command: parseOpMsg(message) };
  if (opCode === OP_QUERY) {
    let offset = 20;
    const end = message.indexOf(0, offset);
    offset = end + 1 + 8; // collection name, numberToSkip, numberToReturn
    const size = message.readInt32LE(offset);
    const body = BSON.deserialize(message.subarray(offset, offset + size));
    return { requestId, opCode, command: { body, sequences: new Map() } };
  }
  throw new Error(`test server: unsupported opCode ${opCode}`);
}

function parseOpMsg(message: Buffer): Command {
  const flags = message.readUInt32LE(16);
  const end = flags & 1 ? message.length - 4 : message.length;
  let offset = 20;
  let body: Record<string, unknown> = {};
  const sequences = new Map<string, Buffer[]>();
  while (offset < end) {
    const kind = message[offset]!;
    offset += 1;
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      body = BSON.deserialize(message.subarray(offset, offset + size), { promoteLongs: false, bsonRegExp: true });
      offset += size;
    } else {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      const identifier = message.toString('utf8', offset + 4, nameEnd);
      const documents: Buffer[] = [];
      let position = nameEnd + 1;
      while (position < sectionEnd) {
        const docSize = message.readInt32LE(position);
        documents.push(Buffer.from(message.subarray(position, position + docSize)));
        position += docSize;
      }
      sequences.set(identifier, documents);
      offset = sectionEnd;
    }
  }
  return { body, sequences };
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}

let nextRequestId = 1;

/** A reply in the opcode the request came in: OP_REPLY for a legacy OP_QUERY hello, OP_MSG otherwise. */
export function encodeReply(request: IncomingMessage, document: Buffer): Buffer {
  const requestId = nextRequestId++;
  if (request.opCode === OP_QUERY) {
    const fields = Buffer.alloc(20);
    fields.writeInt32LE(0, 0); // responseFlags
    fields.writeBigInt64LE(0n, 4); // cursorID
    fields.writeInt32LE(0, 12); // startingFrom
    fields.writeInt32LE(1, 16); // numberReturned
    const length = 16 + fields.length + document.length;
    return Buffer.concat([header(length, requestId, request.requestId, OP_REPLY), fields, document]);
  }
  const flagsAndKind = Buffer.from([0, 0, 0, 0, 0]);
  const length = 16 + flagsAndKind.length + document.length;
  return Buffer.concat([header(length, requestId, request.requestId, OP_MSG), flagsAndKind, document]);
}

/**
 * Builds `{cursor: {<batchKey>: [raw documents], id, ns}, ok: 1}` around stored BSON bytes without
 * decoding them, so a reply carries the stored documents byte for byte.
 */
export function cursorReply(ns: string, id: bigint, batchKey: 'firstBatch' | 'nextBatch', documents: Buffer[], atClusterTime?: { t: number; i: number }): Buffer {
  const elements: Buffer[] = [];
  documents.forEach((document, index) => {
    elements.push(Buffer.from([0x03]), Buffer.from(`${index}\0`, 'utf8'), document);
  });
  const array = wrapDocument(Buffer.concat(elements));
  const cursor = wrapDocument(
    Buffer.concat([
      Buffer.from([0x04]),
      Buffer.from(`${batchKey}\0`, 'utf8'),
      array,
      Buffer.from([0x12]),
      Buffer.from('id\0', 'utf8'),
      int64(id),
      Buffer.from([0x02]),
      Buffer.from('ns\0', 'utf8'),
      bsonString(ns),
      ...(atClusterTime ? [Buffer.from([0x11]), Buffer.from('atClusterTime\0', 'utf8'), int64((BigInt(atClusterTime.t) << 32n) | BigInt(atClusterTime.i))] : []),
    ]),
  );
  const ok = Buffer.concat([Buffer.from([0x01]), Buffer.from('ok\0', 'utf8'), double(1)]);
  return wrapDocument(Buffer.concat([Buffer.from([0x03]), Buffer.from('cursor\0', 'utf8'), cursor, ok]));
}

function wrapDocument(elements: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32LE(elements.length + 5, 0);
  return Buffer.concat([size, elements, Buffer.from([0])]);
}

function int64(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64LE(value, 0);
  return buffer;
}

function double(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeDoubleLE(value, 0);
  return buffer;
}

function bsonString(text: string): Buffer {
  const bytes = Buffer.from(`${text}\0`, 'utf8');
  const size = Buffer.alloc(4);
  size.writeInt32LE(bytes.length, 0);
  return Buffer.concat([size, bytes]);
}
