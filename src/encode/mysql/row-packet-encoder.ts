import type { LiteralKind } from '../../engines/mysql/column-types.js';
import { ReplibyteError } from '../../errors.js';
import type { ColumnTransform, RowView } from '../../transformers/row-transform.js';
import type { ByteBuilder } from './byte-builder.js';
import type { InsertBatcher } from './insert-batcher.js';
import { MYSQL_ESCAPED_BYTES, MYSQL_ESCAPES, textOf, writeText } from './sql-literal.js';

const NULL_VALUE = 0xfb;
const NULL_LITERAL = Buffer.from('NULL');
const EMPTY_BINARY = Buffer.from("''");
const QUOTE = 0x27;

/**
 * Writes rows as they come off the wire (MySQL's text protocol: each value a length-coded string, or
 * 0xFB for NULL) straight into INSERT tuples, without the driver's per-value Buffer and the tuple's
 * extra copy: mysqldump's literals (sql-literal.ts), byte for byte the same as writeLiteral writes.
 * Transformed columns are decoded to text, transformed and written back (writeText); other columns'
 * bytes are only copied, and escaped when quoted.
 */
export class RowPacketEncoder {
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private readonly transformed: Array<ColumnTransform | undefined>;
  private readonly results: Array<string | null>;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly row: RowView;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly kinds: readonly LiteralKind[],
    private readonly transforms: readonly ColumnTransform[],
  ) {
    this.starts = new Int32Array(columns.length);
    this.lengths = new Int32Array(columns.length);
    this.transformed = columns.map((_, index) => transforms.find((t) => t.index === index));
    this.results = new Array<string | null>(columns.length).fill(null);
    const position = new Map(columns.map((name, index) => [name, index]));
    this.row = {
      get: (column) => {
        const index = position.get(column);
        if (index === undefined) throw new ReplibyteError(`table ${table}: no column ${column}`);
        return this.textAt(index);
      },
    };
  }

  /**
   * Adds the row held in `buffer[start, end)` to `batcher`; returns the pieces of the part that are
   * ready (often none). A value of 64 KB or more is kept as a view of `buffer` until its piece is
   * written (ByteBuilder's pieces mode): streamRowPackets hands such a row in a buffer of its own.
   */
  encode(buffer: Buffer, start: number, end: number, batcher: InsertBatcher): readonly Buffer[] {
    this.buffer = buffer;
    const count = this.columns.length;
    let at = start;
    for (let i = 0; i < count; i += 1) {
      if (at >= end) throw new ReplibyteError(`table ${this.table}: a row from the server has fewer values than the ${count} columns selected`);
      const first = buffer[at]!;
      let length: number;
      if (first < 0xfb) {
        length = first;
        at += 1;
      } else if (first === NULL_VALUE) {
        this.starts[i] = -1;
        at += 1;
        continue;
      } else if (first === 0xfc) {
        length = buffer[at + 1]! | (buffer[at + 2]! << 8);
        at += 3;
      } else if (first === 0xfd) {
        length = buffer[at + 1]! | (buffer[at + 2]! << 8) | (buffer[at + 3]! << 16);
        at += 4;
      } else {
        length = buffer.readUInt32LE(at + 1) + buffer.readUInt32LE(at + 5) * 2 ** 32;
        at += 9;
      }
      this.starts[i] = at;
      this.lengths[i] = length;
      at += length;
    }
    if (at !== end) throw new ReplibyteError(`table ${this.table}: a row from the server has more values than the ${count} columns selected`);
    // Templates see the original row: every new value is computed before any is written.
    let extra = 0;
    if (this.transforms.length > 0) {
      for (const transform of this.transforms) {
        const result = transform.apply(this.textAt(transform.index), this.row);
        this.results[transform.index] = result;
        if (result !== null) extra += result.length * 6 + 2;
      }
    }
    // A bound on the tuple's bytes: hex or escaping at most doubles a value, NULL is 4 bytes for 1.
    const out = batcher.beginRow((end - start) * 4 + 2 + extra);
    out.byte(0x28);
    for (let i = 0; i < count; i += 1) {
      if (i > 0) out.byte(0x2c);
      const transform = this.transformed[i];
      if (transform) writeText(out, this.kinds[i]!, this.results[i]!);
      else this.writeValue(out, i);
    }
    out.byte(0x29);
    return batcher.endRow();
  }

  private textAt(index: number): string | null {
    const start = this.starts[index]!;
    if (start < 0) return null;
    return textOf(this.kinds[index]!, this.buffer.subarray(start, start + this.lengths[index]!));
  }

  private writeValue(out: ByteBuilder, index: number): void {
    const start = this.starts[index]!;
    if (start < 0) {
      out.bytes(NULL_LITERAL);
      return;
    }
    const length = this.lengths[index]!;
    const kind = this.kinds[index]!;
    if (kind === 'number') out.range(this.buffer, start, start + length);
    else if (kind === 'hex') {
      if (length === 0) out.bytes(EMPTY_BINARY);
      else out.hex(this.buffer, start, start + length);
    } else out.escaped(this.buffer, start, start + length, QUOTE, MYSQL_ESCAPES, MYSQL_ESCAPED_BYTES);
  }
}
