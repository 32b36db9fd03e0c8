import { Transform, type TransformCallback } from 'node:stream';
import { decodeCopyField, encodeCopyField } from './copy-text.js';

/** Read access to the other columns of the row being transformed (for `template` and friends). */
export interface RowView {
  get(column: string): string | null;
}

export type ValueTransform = (value: string | null, row: RowView) => string | null;

export interface ColumnTransform {
  /** Position of the column in the COPY column list. */
  index: number;
  apply: ValueTransform;
}

/**
 * Rewrites the transformed columns of COPY text rows. Only tables with a transformer pay for this:
 * untouched tables never go through it. Only the transformed fields are decoded and re-encoded; the
 * others are copied as the server wrote them.
 */
export class CopyRowTransform extends Transform {
  private carry: Buffer | undefined;
  private line = 0;

  /** Column positions by name, computed once per table rather than searched on every row. */
  private readonly positions: ReadonlyMap<string, number>;

  constructor(
    private readonly columns: readonly string[],
    private readonly transforms: readonly ColumnTransform[],
    private readonly where: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.positions = new Map(columns.map((name, index) => [name, index]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const lastNewline = data.lastIndexOf(10);
    if (lastNewline === -1) {
      this.carry = data;
      callback();
      return;
    }
    this.carry = lastNewline + 1 < data.length ? data.subarray(lastNewline + 1) : undefined;
    try {
      callback(null, Buffer.from(this.rewriteLines(data.toString('utf8', 0, lastNewline + 1)), 'utf8'));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.carry && this.carry.length > 0) {
      callback(new Error(`${this.where}: the last row has no end of line (COPY data truncated)`));
      return;
    }
    callback();
  }

  private rewriteLines(text: string): string {
    const lines = text.split('\n');
    lines.pop(); // the text ends with a newline
    for (let i = 0; i < lines.length; i += 1) lines[i] = this.rewriteRow(lines[i] as string);
    return `${lines.join('\n')}\n`;
  }

  private rewriteRow(line: string): string {
    this.line += 1;
    const fields = line.split('\t');
    if (fields.length !== this.columns.length) {
      throw new Error(`${this.where}: row ${this.line} has ${fields.length} fields, expected ${this.columns.length}`);
    }
    const row: RowView = {
      get: (column) => {
        const index = this.positions.get(column);
        if (index === undefined) throw new Error(`${this.where}: no column ${column}`);
        return decodeCopyField(fields[index] as string);
      },
    };
    const originals = this.transforms.map((t) => decodeCopyField(fields[t.index] as string));
    // Templates see the original row, so apply every transform before writing any of them back.
    const results = this.transforms.map((t, i) => t.apply(originals[i] as string | null, row));
    this.transforms.forEach((t, i) => {
      fields[t.index] = encodeCopyField(results[i] as string | null);
    });
    return fields.join('\t');
  }
}
