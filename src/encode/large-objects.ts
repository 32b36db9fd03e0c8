import { z } from 'zod';
import { ReplibyteError } from '../errors.js';

/**
 * The `pg-large-objects` encoding of docs/format.md: per large object, "RBLO", a length-prefixed JSON
 * header, then length-prefixed pieces of its content ended by a zero length. Streamed both ways: the
 * writer never holds more than one piece, the parser hands pieces on as they arrive.
 */

export const MAGIC = Buffer.from('RBLO', 'ascii');
/** Pieces a writer cuts (a reader holds one at a time). */
export const PIECE_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 1024 * 1024;
const MAX_PIECE_BYTES = 4 * 1024 * 1024;
const END = Buffer.alloc(4);

const headerSchema = z.object({
  oid: z.number().int().min(1).max(4294967295),
  owner: z.string().nullable(),
  acl: z.array(z.object({ grantee: z.string(), privilege: z.enum(['SELECT', 'UPDATE']), grantable: z.boolean() })).nullable(),
  comment: z.string().nullable(),
});

export type LargeObjectHeader = z.infer<typeof headerSchema>;

export type LargeObjectEvent = { type: 'object'; header: LargeObjectHeader } | { type: 'data'; bytes: Buffer } | { type: 'end' };

export function encodeHeader(header: LargeObjectHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

/** Frames content bytes as pieces of at most PIECE_BYTES (an empty buffer frames as nothing). */
export function encodePieces(bytes: Buffer): Buffer[] {
  const framed: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += PIECE_BYTES) {
    const piece = bytes.subarray(offset, offset + PIECE_BYTES);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(piece.length);
    framed.push(length, piece);
  }
  return framed;
}

export function encodeEnd(): Buffer {
  return END;
}

type State = 'magic' | 'header-length' | 'header' | 'piece-length' | 'piece';

/**
 * Push parser: `push(bytes)` returns the events those bytes complete; `data` events are views of the
 * input (no copy). `finish()` throws when the stream stops inside an object.
 */
export class LargeObjectParser {
  objects = 0;
  private state: State = 'magic';
  /** Bytes of a fixed-size field or of the header gathered so far. */
  private field: Buffer[] = [];
  private fieldBytes = 0;
  private need = 4;

  push(input: Buffer): LargeObjectEvent[] {
    const events: LargeObjectEvent[] = [];
    let offset = 0;
    while (offset < input.length) {
      if (this.state === 'piece') {
        const take = Math.min(this.need, input.length - offset);
        events.push({ type: 'data', bytes: input.subarray(offset, offset + take) });
        offset += take;
        this.need -= take;
        if (this.need === 0) this.expect('piece-length', 4);
        continue;
      }
      const take = Math.min(this.need - this.fieldBytes, input.length - offset);
      this.field.push(input.subarray(offset, offset + take));
      this.fieldBytes += take;
      offset += take;
      if (this.fieldBytes < this.need) continue;
      const value = this.field.length === 1 ? this.field[0]! : Buffer.concat(this.field);
      this.field = [];
      this.fieldBytes = 0;
      this.complete(value, events);
    }
    return events;
  }

  finish(): void {
    if (this.state !== 'magic' || this.fieldBytes > 0) {
      throw new ReplibyteError(`large objects: the data is cut short inside large object ${this.objects}`);
    }
  }

  private complete(value: Buffer, events: LargeObjectEvent[]): void {
    switch (this.state) {
      case 'magic':
        if (!value.equals(MAGIC)) throw new ReplibyteError(`large objects: malformed stream (no record marker after ${this.objects} large objects)`);
        this.expect('header-length', 4);
        return;
      case 'header-length': {
        const length = value.readUInt32BE(0);
        if (length < 2 || length > MAX_HEADER_BYTES) throw new ReplibyteError(`large objects: malformed stream (a header of ${length} bytes)`);
        this.expect('header', length);
        return;
      }
      case 'header':
        events.push({ type: 'object', header: parseHeader(value) });
        this.objects += 1;
        this.expect('piece-length', 4);
        return;
      case 'piece-length': {
        const length = value.readUInt32BE(0);
        if (length > MAX_PIECE_BYTES) throw new ReplibyteError(`large objects: malformed stream (a piece of ${length} bytes)`);
        if (length === 0) {
          events.push({ type: 'end' });
          this.expect('magic', 4);
        } else {
          this.expect('piece', length);
        }
        return;
      }
      case 'piece':
        return;
    }
  }

  private expect(state: State, bytes: number): void {
    this.state = state;
    this.need = bytes;
  }
}

function parseHeader(bytes: Buffer): LargeObjectHeader {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ReplibyteError('large objects: malformed stream (a header is not JSON)');
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new ReplibyteError(`large objects: malformed header at ${parsed.error.issues[0]?.path.join('.') ?? '?'}`);
  return parsed.data;
}

/** The events of a whole part, as it streams. */
export async function* readLargeObjects(data: AsyncIterable<Buffer>): AsyncGenerator<LargeObjectEvent> {
  const parser = new LargeObjectParser();
  for await (const piece of data) yield* parser.push(piece);
  parser.finish();
}

export type LargeObjectPiece =
  | { type: 'object'; header: LargeObjectHeader }
  | { type: 'data'; oid: number; offset: number; bytes: Buffer }
  | { type: 'end'; header: LargeObjectHeader; size: number };

/**
 * The events of a part with each object's content regrouped into pieces of exactly `pieceBytes` (the
 * last one shorter), each with its offset: what one `lo_put` writes. Holds at most one piece.
 */
export async function* largeObjectPieces(data: AsyncIterable<Buffer>, pieceBytes: number): AsyncGenerator<LargeObjectPiece> {
  let header: LargeObjectHeader | undefined;
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (): LargeObjectPiece => {
    const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    const piece: LargeObjectPiece = { type: 'data', oid: header!.oid, offset, bytes };
    offset += bytes.length;
    pending = [];
    pendingBytes = 0;
    return piece;
  };
  for await (const event of readLargeObjects(data)) {
    if (event.type === 'object') {
      header = event.header;
      offset = 0;
      yield event;
    } else if (event.type === 'data') {
      let bytes = event.bytes;
      while (bytes.length > 0) {
        const room = pieceBytes - pendingBytes;
        pending.push(bytes.subarray(0, room));
        pendingBytes += Math.min(room, bytes.length);
        bytes = bytes.subarray(room);
        if (pendingBytes === pieceBytes) yield take();
      }
    } else {
      if (pendingBytes > 0) yield take();
      yield { type: 'end', header: header!, size: offset };
    }
  }
}

/** Counts the objects of a part as it is written (the manifest's `rows`), checking its framing. */
export class LargeObjectCounter {
  private readonly parser = new LargeObjectParser();

  push(piece: Buffer): number {
    let ended = 0;
    for (const event of this.parser.push(piece)) if (event.type === 'end') ended += 1;
    return ended;
  }

  finish(): void {
    this.parser.finish();
  }
}
