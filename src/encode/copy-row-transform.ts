import { Transform, type TransformCallback } from 'node:stream';
import type { ColumnTransform, RowView } from '../transformers/row-transform.js';
import { decodeCopyField, encodeCopyField } from './copy-text.js';

/**
 * Rewrites the transformed columns of complete COPY text lines: the work of `CopyRowTransform` below and
 * of the row-transform worker threads (parallel-row-transform.ts). Only the transformed fields are
 * decoded and re-encoded; the others are copied as the server wrote them.
 */
export class CopyRowRewriter {
  /** Rows rewritten so far (the first row is 1), for messages; a worker sets it before each batch. */
  line = 0;

  /** Column positions by name, computed once per table rather than searched on every row. */
  private readonly positions: ReadonlyMap<string, number>;
  /** The transforms in column order, so a row is rebuilt left to right. */
  private readonly ordered: readonly ColumnTransform[];
  /** Where each field of the current row starts (one past the last for the end), reused row after row. */
  private readonly starts: Int32Array;
  private current = '';
  private readonly row: RowView;
  /** The new values of the current row, in the order of `ordered` (reused: no array per row). */
  private readonly results: Array<string | null>;

  constructor(
    private readonly columns: readonly string[],
    transforms: readonly ColumnTransform[],
    private readonly where: string,
  ) {
    this.positions = new Map(columns.map((name, index) => [name, index]));
    this.ordered = [...transforms].sort((a, b) => a.index - b.index);
    this.starts = new Int32Array(columns.length + 1);
    this.results = this.ordered.map(() => null);
    this.row = {
      get: (column) => {
        const index = this.positions.get(column);
        if (index === undefined) throw new Error(`${this.where}: no column ${column}`);
        return decodeCopyField(this.field(index));
      },
    };
  }

  /** `text` is whole lines, each ending with a newline. */
  rewriteLines(text: string): string {
    const lines = text.split('\n');
    lines.pop(); // the text ends with a newline
    for (let i = 0; i < lines.length; i += 1) lines[i] = this.rewriteRow(lines[i] as string);
    return `${lines.join('\n')}\n`;
  }

  /**
   * Finds the fields' boundaries without cutting the row into strings (a row is mostly fields nobody
   * reads, a JSON document say), then rebuilds it from the untouched stretches and the new values.
   */
  private rewriteRow(line: string): string {
    this.line += 1;
    this.current = line;
    this.findFields(line);
    // Templates see the original row, so every transform runs before any field is replaced.
    const { ordered, results, starts } = this;
    for (let i = 0; i < ordered.length; i += 1) {
      const transform = ordered[i]!;
      results[i] = transform.apply(decodeCopyField(this.field(transform.index)), this.row);
    }
    let out = '';
    let copiedUpTo = 0;
    for (let i = 0; i < ordered.length; i += 1) {
      const index = ordered[i]!.index;
      out += line.slice(copiedUpTo, starts[index]) + encodeCopyField(results[i]!);
      copiedUpTo = starts[index + 1]! - 1;
    }
    return out + line.slice(copiedUpTo);
  }

  private findFields(line: string): void {
    const starts = this.starts;
    const expected = this.columns.length;
    let fields = 1;
    let tab = line.indexOf('\t');
    while (tab !== -1) {
      if (fields < expected) starts[fields] = tab + 1;
      fields += 1;
      tab = line.indexOf('\t', tab + 1);
    }
    if (fields !== expected) throw new Error(`${this.where}: row ${this.line} has ${fields} fields, expected ${expected}`);
    starts[0] = 0;
    starts[expected] = line.length + 1;
  }

  private field(index: number): string {
    return this.current.slice(this.starts[index], (this.starts[index + 1] as number) - 1);
  }
}

/**
 * Rewrites the transformed columns of COPY text rows on this thread. Only tables with a transformer pay
 * for this: untouched tables never go through it. Large tables go to `ParallelRowTransform` instead
 * (rowRewriteStream in parallel-row-transform.ts chooses).
 */
export class CopyRowTransform extends Transform {
  private carry: Buffer | undefined;
  private readonly rewriter: CopyRowRewriter;

  constructor(
    columns: readonly string[],
    transforms: readonly ColumnTransform[],
    private readonly where: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.rewriter = new CopyRowRewriter(columns, transforms, where);
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
      callback(null, Buffer.from(this.rewriter.rewriteLines(data.toString('utf8', 0, lastNewline + 1)), 'utf8'));
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
}
