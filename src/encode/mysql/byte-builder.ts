/** Values longer than this are measured before room is made for them (escaped, escapedText). */
const WIDE = 1 << 16;

/** Values at least this long are searched for bytes to escape natively before they are copied. */
const NATIVE_SCAN = 256;

function containsAny(view: Buffer, bytes: readonly number[]): boolean {
  for (const byte of bytes) if (view.indexOf(byte) !== -1) return true;
  return false;
}

/** A growable byte buffer: the INSERT encoder writes into it without building intermediate strings. */
export class ByteBuilder {
  private buffer: Buffer;
  length = 0;

  constructor(private readonly initialSize = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
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

  /** `0x` and the hex digits of `source[start, end)`. */
  hex(source: Buffer, start: number, end: number): void {
    this.reserve(2 + 2 * (end - start));
    this.buffer[this.length++] = 0x30;
    this.buffer[this.length++] = 0x78;
    this.length += this.buffer.write(source.toString('hex', start, end), this.length, 'latin1');
  }

  ascii(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** The bytes written so far (a copy, unless a wide row grew the buffer); the builder starts over. */
  take(): Buffer {
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
