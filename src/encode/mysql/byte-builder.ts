/** Values longer than this are measured before room is made for them (escaped, escapedText). */
const WIDE = 1 << 16;

/** Values at least this long are searched for bytes to escape natively before they are copied. */
const NATIVE_SCAN = 256;

/** A run of bytes at least this long goes into a `{ pieces: true }` builder by reference, not copied (view). */
export const VIEW_BYTES = 64 * 1024;
/** A `{ pieces: true }` builder hands a full buffer on as a piece instead of growing it; its buffers grow to this. */
const PIECE_BYTES = 1 << 20;
/** In a wide value, a run without escapes at least this long goes in whole (by reference, once long enough). */
const RUN_BYTES = 256;
/** Where a wide value's escapes are closer together, this many bytes are escaped at a time, byte by byte. */
const WINDOW_BYTES = 16 * 1024;

function containsAny(view: Buffer, bytes: readonly number[]): boolean {
  for (const byte of bytes) if (view.indexOf(byte) !== -1) return true;
  return false;
}

/**
 * A growable byte buffer: the INSERT encoder writes into it without building intermediate strings.
 *
 * A builder made with `{ pieces: true }` (the batcher's, which a dump's rows are written into) never
 * copies a wide value whole: a long run of bytes is kept as a reference to the buffer it came in (the
 * driver's row packet, see RowPacketEncoder), and a full buffer is handed on as a piece (of up to 1 MB)
 * instead of being copied into one twice its size. A 15 MB value the driver holds once is then not held
 * a second time while it waits to be compressed. Such a builder is read with `takePieces`.
 */
export class ByteBuilder {
  private buffer: Buffer;
  /** Bytes in `buffer` (after the held pieces). */
  length = 0;
  /** Pieces before `buffer` (pieces mode only): full buffers handed over, and long runs by reference. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private readonly pieces: boolean;

  constructor(
    private readonly initialSize = 1 << 16,
    options: { pieces?: boolean } = {},
  ) {
    this.buffer = Buffer.allocUnsafe(initialSize);
    this.pieces = options.pieces ?? false;
  }

  /** Every byte written so far, held pieces included. */
  get size(): number {
    return this.heldBytes + this.length;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    if (this.pieces && this.length > 0) {
      // Hand the full buffer on instead of copying it into a larger one; the next is larger, up to 1 MB.
      const next = Math.min(PIECE_BYTES, 2 * this.buffer.length);
      this.cut();
      if (this.buffer.length < next) this.buffer = Buffer.allocUnsafe(next);
      if (extra <= this.buffer.length) return;
    }
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Moves the bytes of the buffer to the held pieces: a mostly full buffer is handed over, a few bytes are copied. */
  private cut(): void {
    if (this.length === 0) return;
    if (2 * this.length >= this.buffer.length) {
      this.held.push(this.buffer.subarray(0, this.length));
      this.buffer = Buffer.allocUnsafe(this.initialSize);
    } else this.held.push(Buffer.from(this.buffer.subarray(0, this.length)));
    this.heldBytes += this.length;
    this.length = 0;
  }

  /**
   * Appends `data`: by reference when it is long and the builder is in pieces mode, else copied. The
   * caller must not change `data` until the pieces are written.
   */
  view(data: Buffer): void {
    if (!this.pieces || data.length < VIEW_BYTES) {
      this.bytes(data);
      return;
    }
    this.cut();
    this.held.push(data);
    this.heldBytes += data.length;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(data: Buffer): void {
    this.reserve(data.length);
    data.copy(this.buffer, this.length);
    this.length += data.length;
  }

  /** `source[start, end)`, copied (short values byte by byte: Buffer.copy costs more than the copy below 64 bytes). */
  range(source: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    if (end - start < 64) {
      const buffer = this.buffer;
      let at = this.length;
      for (let i = start; i < end; i += 1) buffer[at++] = source[i]!;
      this.length = at;
    } else this.length += source.copy(this.buffer, this.length, start, end);
  }

  /**
   * `source[start, end)` quoted and escaped: each byte whose `escapes` entry is not 0 is written as a
   * backslash and that entry. One pass that reads and writes each byte (the bytes of a UTF-8 sequence are
   * never ASCII, so never escaped).
   */
  escaped(source: Buffer, start: number, end: number, quote: number, escapes: Uint8Array, escaped?: readonly number[]): void {
    if (this.pieces && escaped && end - start >= VIEW_BYTES) {
      this.escapedWide(source, start, end, quote, escapes, escaped);
      return;
    }
    if (escaped && end - start >= NATIVE_SCAN && !containsAny(source.subarray(start, end), escaped)) {
      // Most long values hold nothing to escape: a few native searches and one copy beat a JS loop
      // over every byte (measured: from about 256 bytes on; below, the searches cost more than the loop).
      this.reserve(end - start + 2);
      this.buffer[this.length++] = quote;
      this.length += source.copy(this.buffer, this.length, start, end);
      this.buffer[this.length++] = quote;
      return;
    }
    let room = 2 * (end - start) + 2;
    if (end - start > WIDE) {
      // A wide value gets the room it needs, not twice its size: count its escapes first.
      room = end - start + 2;
      for (let i = start; i < end; i += 1) if (escapes[source[i]!] !== 0) room += 1;
    }
    this.reserve(room);
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = quote;
    for (let i = start; i < end; i += 1) {
      const byte = source[i]!;
      const escape = escapes[byte]!;
      if (escape === 0) buffer[at++] = byte;
      else {
        buffer[at++] = 0x5c;
        buffer[at++] = escape;
      }
    }
    buffer[at++] = quote;
    this.length = at;
  }

  /**
   * A wide value quoted and escaped in a pieces builder: the next place of each byte to escape is found
   * with indexOf (native) and searched again only once passed. A long run without escapes (a 15 MB text)
   * goes in by reference, without a byte of it being read in JavaScript; where escapes are dense (JSON,
   * text of short lines) windows are escaped byte by byte into the buffer, which is handed on as it fills.
   */
  private escapedWide(source: Buffer, start: number, end: number, quote: number, escapes: Uint8Array, escaped: readonly number[]): void {
    this.byte(quote);
    const next = escaped.map((byte) => source.indexOf(byte, start));
    let at = start;
    while (at < end) {
      let stop = end;
      for (let k = 0; k < next.length; k += 1) {
        if (next[k] !== -1 && next[k]! < at) next[k] = source.indexOf(escaped[k]!, at);
        if (next[k] !== -1 && next[k]! < stop) stop = next[k]!;
      }
      if (stop - at >= RUN_BYTES || stop === end) {
        this.view(source.subarray(at, stop));
        at = stop;
        continue;
      }
      const windowEnd = Math.min(end, at + WINDOW_BYTES);
      this.reserve(2 * (windowEnd - at));
      const buffer = this.buffer;
      let length = this.length;
      for (let i = at; i < windowEnd; i += 1) {
        const byte = source[i]!;
        const escape = escapes[byte]!;
        if (escape === 0) buffer[length++] = byte;
        else {
          buffer[length++] = 0x5c;
          buffer[length++] = escape;
        }
      }
      this.length = length;
      at = windowEnd;
    }
    this.byte(quote);
  }

  /** `text` in UTF-8, quoted and escaped as escaped() does, without an intermediate Buffer. */
  escapedText(text: string, quote: number, escapes: Uint8Array, escaped?: readonly number[]): void {
    if (text.length > WIDE) {
      const bytes = Buffer.from(text, 'utf8');
      this.escaped(bytes, 0, bytes.length, quote, escapes, escaped);
      return;
    }
    this.reserve(text.length * 6 + 2);
    const start = this.length + 1;
    const written = this.buffer.write(text, start, 'utf8');
    let clean = true;
    for (let i = start; i < start + written; i += 1) {
      if (escapes[this.buffer[i]!] !== 0) {
        clean = false;
        break;
      }
    }
    if (clean) {
      this.buffer[this.length] = quote;
      this.buffer[start + written] = quote;
      this.length = start + written + 1;
      return;
    }
    const raw = Buffer.from(this.buffer.subarray(start, start + written));
    this.escaped(raw, 0, raw.length, quote, escapes, escaped);
  }

  /** `0x` and the hex digits of `source[start, end)`, in slices: a long blob never becomes one string. */
  hex(source: Buffer, start: number, end: number): void {
    this.byte(0x30);
    this.byte(0x78);
    const SLICE = 32 * 1024;
    for (let at = start; at < end; at += SLICE) {
      const stop = Math.min(end, at + SLICE);
      this.reserve(2 * (stop - at));
      this.length += this.buffer.write(source.toString('hex', at, stop), this.length, 'latin1');
    }
  }

  ascii(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** The bytes written so far as one buffer (a copy, unless a wide row grew the buffer); the builder starts over. */
  take(): Buffer {
    if (this.held.length === 0) return this.takeBuffer();
    const size = this.size;
    return Buffer.concat(this.takePieces(), size);
  }

  /** The bytes written so far as the pieces they are held in (nothing joined); the builder starts over. */
  takePieces(): Buffer[] {
    if (this.length > 0) {
      const last = this.takeBuffer();
      this.held.push(last);
      this.heldBytes += last.length;
    }
    const pieces = this.held;
    this.held = [];
    this.heldBytes = 0;
    return pieces;
  }

  /** The bytes of the buffer; the buffer starts over. */
  private takeBuffer(): Buffer {
    if (this.buffer.length > this.initialSize) {
      // Hand the grown buffer over rather than copy it, and start small again: a wide row's memory is
      // then held once, and only until it is written.
      const out = this.buffer.subarray(0, this.length);
      this.buffer = Buffer.allocUnsafe(this.initialSize);
      this.length = 0;
      return out;
    }
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}
