import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams';

/** What of pg-copy-streams' CopyToStream (7.x) this module relies on, besides its public face. */
interface CopyToStreamInternals extends CopyToStreamQuery {
  /** Bytes received but not parsed: handed back to pg's own parser when the copy ends. */
  _buffer: { push(bytes: Buffer): void };
  /** Gives the connection back to pg, with `_buffer`'s bytes. */
  _detach(): void;
  _cleanup(): void;
}

// pg-copy-streams exports a factory, not its class: take the class from an instance.
const CopyToStream = Object.getPrototypeOf(copyTo('')).constructor as new (text: string) => CopyToStreamInternals;

// Backend messages (https://www.postgresql.org/docs/current/protocol-message-formats.html).
const COPY_DATA = 0x64; // d
const ERROR_RESPONSE = 0x45; // E
/** May come between CopyData messages (protocol-flow.html, "COPY Operations"); skipped. */
const INTERSPERSED = new Set([0x48 /* H CopyOutResponse */, 0x4e /* N Notice */, 0x53 /* S ParameterStatus */, 0x41 /* A Notification */]);

const HEADER = 0;
const PAYLOAD = 1;
const SKIP = 2;

/**
 * `COPY … TO STDOUT` as a stream of the rows' bytes: pg-copy-streams' CopyToStream, whose connection
 * handling (taking the socket from pg and giving it back) it keeps, with the message parsing done in one
 * pass. The library cuts every CopyData message (one per row) out as a Buffer of its own, then
 * concatenates them: 8.5 M rows of the benchmark made ≈ 1.3 s of the main thread's CPU, in buffers and
 * garbage. Here each received chunk's row bytes are copied straight into one output buffer.
 *
 * Its behaviour at the edges is the library's: interspersed messages are skipped, an ErrorResponse is
 * handed back to pg unparsed (which fails the query), and the first other message (CopyDone) ends the
 * stream, the bytes after it going back to pg. `copy-out.test.ts` checks this against the library on
 * random message sequences cut at random places.
 */
export class CopyOutStream extends CopyToStream {
  private mode = HEADER;
  /** Bytes still to copy (PAYLOAD) or skip (SKIP) in the current message. */
  private remaining = 0;
  /** A message header cut between two chunks. */
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  /** The message being skipped ends the copy. */
  private ending = false;

  /** Called by CopyToStream with each chunk read from the socket; returns whether to keep reading. */
  _parse(chunk: Buffer): boolean {
    const out = Buffer.allocUnsafe(chunk.length);
    let written = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.mode !== HEADER) {
        const n = Math.min(this.remaining, chunk.length - at);
        if (this.mode === PAYLOAD) written += chunk.copy(out, written, at, at + n);
        at += n;
        this.remaining -= n;
        if (this.remaining > 0) break;
        this.mode = HEADER;
        if (this.ending) return this.end(chunk.subarray(at), out.subarray(0, written));
        continue;
      }
      if (this.headerFill === 0 && chunk[at] === ERROR_RESPONSE) return this.fail(chunk.subarray(at));
      let code: number;
      let length: number;
      if (this.headerFill === 0 && chunk.length - at >= 5) {
        code = chunk[at]!;
        length = chunk.readUInt32BE(at + 1);
        at += 5;
      } else {
        const n = Math.min(5 - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill < 5) break;
        this.headerFill = 0;
        code = this.header[0]!;
        length = this.header.readUInt32BE(1);
      }
      this.remaining = length - 4;
      this.mode = code === COPY_DATA ? PAYLOAD : SKIP;
      this.ending = code !== COPY_DATA && !INTERSPERSED.has(code);
      if (this.remaining === 0) {
        this.mode = HEADER;
        if (this.ending) return this.end(chunk.subarray(at), out.subarray(0, written));
      }
    }
    return written > 0 ? this.push(out.subarray(0, written)) : true;
  }

  /** The copy is over: what was read after its last message belongs to pg. Returns false: read no further. */
  private end(rest: Buffer, last: Buffer): boolean {
    if (last.length > 0) this.push(last);
    this._buffer.push(rest);
    this._detach();
    this.push(null);
    this._cleanup();
    return false;
  }

  /** An ErrorResponse: pg parses it (with everything after it) and fails the query, as the library does. */
  private fail(rest: Buffer): boolean {
    this._buffer.push(rest);
    this._detach();
    return false;
  }
}

export function copyOut(statement: string): CopyOutStream {
  return new CopyOutStream(statement);
}
