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
