import { quoteMysqlIdentifier } from '../../engines/mysql/identifiers.js';
import { ByteBuilder } from './byte-builder.js';

/** mysqldump's default net_buffer_length is 1 MB: statements stay far below any max_allowed_packet. */
export const DEFAULT_STATEMENT_BYTES = 1 << 20;
const FLUSH_BYTES = 1 << 18;
const NONE: readonly Buffer[] = Object.freeze([]);

/**
 * Groups row tuples `(…)` into multi-row INSERT statements of bounded size, laid out one row per line:
 *
 *     INSERT INTO `t` (`a`,`b`) VALUES (1,'x'),
 *     (2,'y');
 *
 * The first row shares the line of `INSERT`, so a part holds exactly one newline per row (values never
 * contain a raw newline: it is escaped as \n), which is how the dump writer counts rows. A row larger
 * than the bound gets a statement of its own.
 */
export class InsertBatcher {
  /** In pieces mode: a wide value goes on as a view of the row it was read in (ByteBuilder). */
  private readonly out = new ByteBuilder(FLUSH_BYTES * 2, { pieces: true });
  private readonly header: Buffer;
  private statementBytes = 0;
  /** Where the open statement starts, counted from the first byte of the part (flushed bytes included). */
  private statementStart = 0;
  /** Bytes of the part already handed out (taken from `out`). */
  private flushed = 0;
  private open = false;
  rows = 0;

  constructor(
    table: string,
    /** undefined: no column list (the rows hold every column, as a script's INSERT without one did). */
    columns: readonly string[] | undefined,
    private readonly maxStatementBytes = DEFAULT_STATEMENT_BYTES,
    verb = 'INSERT INTO',
  ) {
    const list = columns ? ` (${columns.map(quoteMysqlIdentifier).join(',')})` : '';
    this.header = Buffer.from(`${verb} ${quoteMysqlIdentifier(table)}${list} VALUES `, 'utf8');
  }

  /** Adds one row; returns the pieces of the part to pass on once enough bytes have gathered (often none). */
  add(tuple: Buffer): readonly Buffer[] {
    this.beginRow(tuple.length).bytes(tuple);
    return this.endRow();
  }

  /**
   * Starts a row of at most `maxBytes` (a bound: the statement is closed first if the row may not fit)
   * and returns the builder to write its tuple into; endRow() follows.
   */
  beginRow(maxBytes: number): ByteBuilder {
    if (this.open && this.statementBytes + maxBytes + 2 > this.maxStatementBytes) this.closeStatement();
    if (this.open) {
      this.out.byte(0x2c);
      this.out.byte(0x0a);
    } else {
      this.statementStart = this.flushed + this.out.size;
      this.out.bytes(this.header);
      this.open = true;
    }
    return this.out;
  }

  /** Ends the row beginRow() started; returns the pieces of the part to pass on once enough bytes have gathered (often none). */
  endRow(): readonly Buffer[] {
    this.statementBytes = this.flushed + this.out.size - this.statementStart;
    this.rows += 1;
    if (this.out.size < FLUSH_BYTES) return NONE;
    this.flushed += this.out.size;
    return this.out.takePieces();
  }

  private closeStatement(): void {
    this.out.byte(0x3b);
    this.out.byte(0x0a);
    this.open = false;
    this.statementBytes = 0;
  }

  /** The rest of the part, its last statement closed. */
  finish(): readonly Buffer[] {
    if (this.open) this.closeStatement();
    this.flushed += this.out.size;
    return this.out.takePieces();
  }
}
