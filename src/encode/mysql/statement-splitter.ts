import { ReplibyteError } from '../../errors.js';

/**
 * Splits a MySQL script (mysqldump's, mariadb-dump's, or ours) into statements as the `mysql` client
 * does, streaming: memory holds one statement (mysqldump keeps them near 1 MB).
 *
 * It understands what can hide a delimiter: 'strings' and "strings" (backslash escapes, doubled
 * quotes), `identifiers`, -- and # comments, /* block comments *\/ (including /*! executable ones), and
 * the client's `DELIMITER` command, which routines and triggers are written with.
 */
export interface ScriptStatement {
  kind: 'statement' | 'delimiter' | 'trailer';
  /** The statement without its delimiter (leading comments included). */
  text: Buffer;
  /** Every byte consumed for this event, delimiter and leading whitespace included: the script is their concatenation. */
  raw: Buffer;
  /** Line of the script the statement starts on (1-based). */
  line: number;
}

/**
 * A statement from the pieces it was read in. Its text leaves out the whitespace lines before it (the
 * end of the line the previous statement ended on), so that a statement within one line, a wide row's
 * INSERT, is a view of that line rather than a copy; its `raw` bytes, every byte, are joined only if
 * asked for (most readers never do).
 */
function statementEvent(pieces: Buffer[], delimiter: Buffer, line: number): ScriptStatement {
  let first = 0;
  while (first < pieces.length - 1 && isWhitespace(pieces[first]!)) first += 1;
  const text = pieces.length - first === 1 ? pieces[first]! : Buffer.concat(pieces.slice(first));
  let raw: Buffer | undefined;
  return {
    kind: 'statement',
    text,
    get raw() {
      raw ??= Buffer.concat([...pieces.slice(0, first), text, delimiter]);
      return raw;
    },
    line,
  };
}

function isWhitespace(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

type State = 'normal' | 'single' | 'double' | 'backtick' | 'block-comment';

const NEWLINE = 0x0a;

export async function* splitMysqlScript(input: AsyncIterable<Buffer>, where = 'the script'): AsyncGenerator<ScriptStatement> {
  const splitter = new Splitter(where);
  let partial: Buffer[] = [];
  for await (const chunk of input) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, newline + 1);
      const line = partial.length > 0 ? Buffer.concat([...partial, piece]) : piece;
      partial = [];
      yield* splitter.line(line);
      start = newline + 1;
    }
    if (start < chunk.length) partial.push(chunk.subarray(start));
  }
  if (partial.length > 0) yield* splitter.line(Buffer.concat(partial));
  yield* splitter.end();
}

class Splitter {
  private state: State = 'normal';
  private delimiter = Buffer.from(';');
  private pieces: Buffer[] = [];
  /** True while the statement holds only whitespace and comments. */
  private blank = true;
  private lineNumber = 0;
  private startLine = 1;
  private stateLine = 0;

  constructor(private readonly where: string) {}

  *line(line: Buffer): Generator<ScriptStatement> {
    this.lineNumber += 1;
    let i = 0;
    let from = 0;
    if (this.state === 'normal' && this.blank) {
      const command = /^\s*delimiter\s+(\S+)/i.exec(line.subarray(0, 200).toString('latin1'));
      if (command) {
        this.delimiter = Buffer.from(command[1]!, 'latin1');
        const raw = this.take(line);
        yield { kind: 'delimiter', text: line, raw, line: this.lineNumber };
        return;
      }
    }
    while (i < line.length) {
      const byte = line[i]!;
      switch (this.state) {
        case 'normal':
          if (byte === this.delimiter[0] && (this.delimiter.length === 1 || line.subarray(i, i + this.delimiter.length).equals(this.delimiter))) {
            if (this.blank) {
              // An empty statement: only whitespace and comments before the delimiter.
              i += this.delimiter.length;
              const raw = Buffer.concat([...this.pieces, line.subarray(from, i)]);
              this.pieces = [];
              from = i;
              yield { kind: 'trailer', text: Buffer.alloc(0), raw, line: this.lineNumber };
              break;
            }
            const textEnd = i;
            i += this.delimiter.length;
            const pieces = [...this.pieces, line.subarray(from, textEnd)];
            this.pieces = [];
            from = i;
            const statementLine = this.startLine;
            this.blank = true;
            yield statementEvent(pieces, this.delimiter, statementLine);
            break;
          }
          if (byte === 0x27 || byte === 0x22 || byte === 0x60) {
            this.state = byte === 0x27 ? 'single' : byte === 0x22 ? 'double' : 'backtick';
            this.stateLine = this.lineNumber;
            this.markContent();
          } else if (byte === 0x23 || (byte === 0x2d && line[i + 1] === 0x2d && (i + 2 >= line.length || line[i + 2]! <= 0x20))) {
            i = line.length; // a comment to the end of the line
            break;
          } else if (byte === 0x2f && line[i + 1] === 0x2a) {
            // /*! … */ (and MariaDB's /*M! … */) is executed by the server: it is content, not a comment.
            if (line[i + 2] === 0x21 || (line[i + 2] === 0x4d && line[i + 3] === 0x21)) this.markContent();
            this.state = 'block-comment';
            this.stateLine = this.lineNumber;
            i += 1;
          } else if (byte === 0) {
            throw new ReplibyteError(`${this.where}, line ${this.lineNumber}: binary data outside a string: this is not a SQL script (a compressed file?)`);
          } else if (byte > 0x20) this.markContent();
          i += 1;
          break;
        case 'single':
        case 'double':
        case 'backtick': {
          const quote = this.state === 'single' ? 0x27 : this.state === 'double' ? 0x22 : 0x60;
          if (byte === 0x5c && quote !== 0x60) i += 2;
          else if (byte === quote) {
            if (line[i + 1] === quote) i += 2;
            else {
              this.state = 'normal';
              i += 1;
            }
          } else i += 1;
          break;
        }
        case 'block-comment':
          if (byte === 0x2a && line[i + 1] === 0x2f) {
            this.state = 'normal';
            i += 2;
          } else i += 1;
          break;
      }
    }
    if (from < line.length) this.pieces.push(line.subarray(from));
  }

  private markContent(): void {
    if (this.blank) {
      this.blank = false;
      this.startLine = this.lineNumber;
    }
  }

  private take(line: Buffer): Buffer {
    const raw = Buffer.concat([...this.pieces, line]);
    this.pieces = [];
    return raw;
  }

  *end(): Generator<ScriptStatement> {
    if (this.state !== 'normal') {
      const what = { single: "a 'string'", double: 'a "string"', backtick: 'a `quoted identifier`', 'block-comment': 'a /* comment */' }[this.state];
      throw new ReplibyteError(`${this.where}: the script ends inside ${what} opened on line ${this.stateLine} (truncated or malformed)`);
    }
    const rest = Buffer.concat(this.pieces);
    this.pieces = [];
    if (rest.length === 0) return;
    // The client runs a last statement that has no delimiter; whitespace and comments are a trailer.
    yield { kind: this.blank ? 'trailer' : 'statement', text: rest, raw: rest, line: this.startLine };
  }
}
