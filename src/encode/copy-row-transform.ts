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

/** A row still unfinished after this many bytes is gathered as its fields' pieces (WideRowRewriter) rather than joined. */
export const WIDE_ROW_BYTES = 256 * 1024;

const TAB = 9;
const NEWLINE = 10;
const TAB_BYTE = Buffer.from('\t');
const NEWLINE_BYTE = Buffer.from('\n');

/**
 * Rewrites one row too wide to join into one string (a long text, a big jsonb): each chunk is searched
 * once for the row's tabs and newline, and each field kept as the slices of the chunks it came in. At
 * the row's end the transforms run (any field they read is joined then, once), and the row goes out as
 * the untouched fields' slices and the new values: the row is held once and never copied whole. Holding
 * the row and searching it again with every chunk, as before, was quadratic in its width.
 */
export class WideRowRewriter {
  private readonly fields: Buffer[][] = [[]];
  private readonly texts = new Map<number, string | null>();
  private readonly row: RowView;

  constructor(
    private readonly columns: readonly string[],
    private readonly transforms: readonly ColumnTransform[],
    private readonly rowNumber: number,
    private readonly where: string,
  ) {
    const positions = new Map(columns.map((name, index) => [name, index]));
    this.row = {
      get: (column) => {
        const index = positions.get(column);
        if (index === undefined) throw new Error(`${this.where}: no column ${column}`);
        return this.text(index);
      },
    };
  }

  /**
   * Takes `chunk` from `at`. Returns the offset just past the row's newline, having appended the whole
   * rewritten row to `out`, or -1 when the whole chunk belonged to the row and it goes on.
   */
  feed(chunk: Buffer, at: number, out: Buffer[]): number {
    const newline = chunk.indexOf(NEWLINE, at);
    const end = newline === -1 ? chunk.length : newline;
    for (;;) {
      let tab = at < end ? chunk.indexOf(TAB, at) : -1;
      if (tab > end) tab = -1;
      const stop = tab === -1 ? end : tab;
      if (stop > at) this.fields.at(-1)!.push(chunk.subarray(at, stop));
      if (tab === -1) break;
      this.fields.push([]);
      at = tab + 1;
    }
    if (newline === -1) return -1;
    this.finish(out);
    return newline + 1;
  }

  private finish(out: Buffer[]): void {
    const expected = this.columns.length;
    if (this.fields.length !== expected) throw new Error(`${this.where}: row ${this.rowNumber} has ${this.fields.length} fields, expected ${expected}`);
    // Templates see the original row, so every transform runs before any field is replaced.
    const results = new Map(this.transforms.map((t) => [t.index, t.apply(this.text(t.index), this.row)]));
    for (let i = 0; i < expected; i += 1) {
      if (i > 0) out.push(TAB_BYTE);
      if (results.has(i)) out.push(Buffer.from(encodeCopyField(results.get(i)!), 'utf8'));
      else out.push(...this.fields[i]!);
    }
    out.push(NEWLINE_BYTE);
  }

  /** A field's value, decoded once. */
  private text(index: number): string | null {
    if (!this.texts.has(index)) {
      const pieces = this.fields[index]!;
      const raw = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      this.texts.set(index, decodeCopyField(raw.toString('utf8')));
    }
    return this.texts.get(index)!;
  }
}

/**
 * Rewrites the transformed columns of COPY text rows on this thread. Only tables with a transformer pay
 * for this: untouched tables never go through it. Large tables go to `ParallelRowTransform` instead
 * (rowRewriteStream in parallel-row-transform.ts chooses).
 *
 * Whole lines are rewritten a batch at a time. A row cut by a chunk boundary is carried as the list of
 * its pieces (joined once, when its newline arrives); past WIDE_ROW_BYTES it goes to a WideRowRewriter,
 * which never joins it. Each chunk is searched for newlines once.
 */
export class CopyRowTransform extends Transform {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private wide: WideRowRewriter | undefined;
  private readonly rewriter: CopyRowRewriter;

  constructor(
    private readonly columns: readonly string[],
    private readonly transforms: readonly ColumnTransform[],
    private readonly where: string,
    /** Tests lower it to take the wide-row path with small rows. */
    private readonly wideRowBytes = WIDE_ROW_BYTES,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.rewriter = new CopyRowRewriter(columns, transforms, where);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const out: Buffer[] = [];
      this.rewriteChunk(chunk, out);
      for (const piece of out) this.push(piece);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.wide || this.carryBytes > 0) {
      callback(new Error(`${this.where}: the last row has no end of line (COPY data truncated)`));
      return;
    }
    callback();
  }

  private rewriteChunk(chunk: Buffer, out: Buffer[]): void {
    let at = 0;
    if (this.wide) {
      at = this.wide.feed(chunk, 0, out);
      if (at === -1) return;
      this.wide = undefined;
    }
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline < at) {
      this.hold(chunk.subarray(at));
      return;
    }
    const lines = chunk.subarray(at, lastNewline + 1);
    const data = this.carryBytes > 0 ? Buffer.concat([...this.carry, lines], this.carryBytes + lines.length) : lines;
    this.carry = [];
    this.carryBytes = 0;
    out.push(Buffer.from(this.rewriter.rewriteLines(data.toString('utf8')), 'utf8'));
    if (lastNewline + 1 < chunk.length) this.hold(chunk.subarray(lastNewline + 1));
  }

  /** Keeps the start of an unfinished row; once it is wide, hands it to a WideRowRewriter. */
  private hold(piece: Buffer): void {
    this.carry.push(piece);
    this.carryBytes += piece.length;
    if (this.carryBytes < this.wideRowBytes) return;
    this.rewriter.line += 1;
    this.wide = new WideRowRewriter(this.columns, this.transforms, this.rewriter.line, this.where);
    // The held pieces hold no newline (each is what followed the last newline of its chunk): nothing comes out yet.
    for (const held of this.carry) this.wide.feed(held, 0, []);
    this.carry = [];
    this.carryBytes = 0;
  }
}
