import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a PostgreSQL script (as pg_dump writes it) into statements, psql meta-commands and COPY data
 * blocks, streaming: memory holds one statement at a time, and COPY data is passed on in pieces.
 *
 * It understands what can hide a `;`: 'strings' (with '' inside), E'strings' (with backslash escapes),
 * "identifiers", $tag$dollar quotes$tag$, -- comments and nested block comments.
 */
export type ScriptEvent =
  | { kind: 'statement'; sql: string; lineNumber?: number }
  | { kind: 'meta'; line: string; lineNumber?: number }
  | { kind: 'copy-start'; sql: string; lineNumber?: number }
  | { kind: 'copy-data'; data: string; lineNumber?: number }
  | { kind: 'copy-end'; lineNumber?: number };

type State = 'normal' | 'single' | 'escape-string' | 'double' | 'dollar' | 'line-comment' | 'block-comment' | 'copy' | 'meta';

const COPY_FROM_STDIN = /^\s*COPY\s[\s\S]*\sFROM\s+stdin\b/i;

export class SqlScriptReader {
  private readonly decoder = new StringDecoder('utf8');
  private state: State = 'normal';
  private statement = '';
  /** True while the statement holds only whitespace and comments: a backslash there starts a meta-command. */
  private atStatementStart = true;
  private dollarTag = '';
  private commentDepth = 0;
  private pending = '';
  /** In COPY data: the start of the current line has not been seen complete yet. */
  private copyLine = '';
  private copyAwaitingLine = false;
  /**
   * Line numbers (1-based) for messages: `line` is the script line at which the text not yet
   * accounted for starts (the start of `statement`, of a COPY line, of a meta-command).
   */
  private line = 1;
  private copyStartLine = 0;

  push(bytes: Buffer): ScriptEvent[] {
    return this.scan(this.pending + this.decoder.write(bytes), false);
  }

  end(): ScriptEvent[] {
    const events = this.scan(this.pending + this.decoder.end(), true);
    if (this.state === 'copy') throw new Error(`the script ends inside the COPY block of line ${this.copyStartLine} (no terminating \\.)`);
    if (this.state === 'meta' && this.statement.trim()) events.push({ kind: 'meta', line: this.statement.trim(), lineNumber: this.line });
    else if (this.state !== 'normal' && this.state !== 'line-comment') {
      throw new Error(`the script ends inside ${describe(this.state)} (in the statement of line ${this.statementLine()})`);
    } else if (this.statement.trim() && !this.atStatementStart) events.push({ kind: 'statement', sql: this.statement.trim(), lineNumber: this.statementLine() });
    this.statement = '';
    return events;
  }

  private scan(text: string, final: boolean): ScriptEvent[] {
    const events: ScriptEvent[] = [];
    this.pending = '';
    let start = 0;
    let i = 0;
    const flush = (to: number) => {
      this.statement += text.slice(start, to);
      start = to;
    };
    while (i < text.length) {
      if (this.state === 'copy' && this.copyAwaitingLine) {
        // COPY data starts on the line after the statement.
        const newline = text.indexOf('\n', i);
        i = newline === -1 ? text.length : newline + 1;
        if (newline !== -1) {
          this.copyAwaitingLine = false;
          this.line += 1;
        }
        start = i;
        continue;
      }
      if (this.state === 'copy') {
        i = this.scanCopy(text, i, events, final);
        start = i;
        continue;
      }
      const c = text.charCodeAt(i);
      switch (this.state) {
        case 'normal': {
          if (c === 59 /* ; */) {
            flush(i + 1);
            i += 1;
            this.endStatement(events);
            start = i;
            continue;
          }
          if (c === 92 /* \ */ && this.atStatementStart) {
            flush(i);
            this.line += countNewlines(this.statement);
            this.statement = '';
            this.state = 'meta';
            break;
          }
          if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
            this.state = 'line-comment';
            i += 2;
            continue;
          }
          if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42) {
            this.state = 'block-comment';
            this.commentDepth = 1;
            i += 2;
            continue;
          }
          if (i + 1 >= text.length && !final && (c === 45 || c === 47 || c === 36 || c === 69 || c === 101)) {
            // A token may continue in the next piece: keep the tail for the next scan.
            flush(i);
            this.pending = text.slice(i);
            return events;
          }
          if (c === 39 /* ' */) {
            const previous = i > 0 ? text.charCodeAt(i - 1) : this.statement.charCodeAt(this.statement.length - 1);
            const beforePrevious = i > 1 ? text.charCodeAt(i - 2) : 32;
            this.state = (previous === 69 || previous === 101) && !isIdentifierChar(beforePrevious) ? 'escape-string' : 'single';
          } else if (c === 34 /* " */) {
            this.state = 'double';
          } else if (c === 36 /* $ */) {
            const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 66));
            const previous = i > 0 ? text.charCodeAt(i - 1) : 32;
            if (tag && !isIdentifierChar(previous)) {
              this.dollarTag = tag[0];
              this.state = 'dollar';
              this.atStatementStart = false;
              i += tag[0].length;
              continue;
            }
            if (!tag && !final && text.length - i < 66 && /^\$[A-Za-z0-9_]*$/.test(text.slice(i))) {
              flush(i);
              this.pending = text.slice(i);
              return events;
            }
          }
          if (c > 32) this.atStatementStart = false;
          i += 1;
          break;
        }
        case 'meta': {
          const newline = text.indexOf('\n', i);
          if (newline === -1) {
            this.statement += text.slice(i);
            i = text.length;
            start = i;
            continue;
          }
          events.push({ kind: 'meta', line: (this.statement + text.slice(i, newline)).trim(), lineNumber: this.line });
          this.line += 1;
          this.statement = '';
          this.state = 'normal';
          this.atStatementStart = true;
          i = newline + 1;
          start = i;
          continue;
        }
        case 'single':
        case 'double': {
          const quote = this.state === 'single' ? "'" : '"';
          const close = text.indexOf(quote, i);
          if (close === -1) {
            i = text.length;
            continue;
          }
          if (close + 1 >= text.length && !final) {
            // '' or "" may straddle two pieces.
            flush(close);
            this.pending = text.slice(close);
            return events;
          }
          if (text[close + 1] === quote) {
            i = close + 2;
            continue;
          }
          this.state = 'normal';
          i = close + 1;
          break;
        }
        case 'escape-string': {
          if (c === 92) {
            if (i + 1 >= text.length && !final) {
              flush(i);
              this.pending = text.slice(i);
              return events;
            }
            i += 2;
            continue;
          }
          if (c === 39) {
            if (i + 1 >= text.length && !final) {
              flush(i);
              this.pending = text.slice(i);
              return events;
            }
            if (text.charCodeAt(i + 1) === 39) {
              i += 2;
              continue;
            }
            this.state = 'normal';
          }
          i += 1;
          break;
        }
        case 'dollar': {
          const close = text.indexOf(this.dollarTag, i);
          if (close === -1) {
            const keep = Math.max(i, text.length - this.dollarTag.length + 1);
            if (!final) {
              flush(keep);
              this.pending = text.slice(keep);
              return events;
            }
            i = text.length;
            continue;
          }
          i = close + this.dollarTag.length;
          this.state = 'normal';
          break;
        }
        case 'line-comment': {
          const newline = text.indexOf('\n', i);
          if (newline === -1) {
            i = text.length;
            continue;
          }
          this.state = 'normal';
          i = newline + 1;
          break;
        }
        case 'block-comment': {
          if (c === 42 && text.charCodeAt(i + 1) === 47) {
            this.commentDepth -= 1;
            i += 2;
            if (this.commentDepth === 0) this.state = 'normal';
            continue;
          }
          if (c === 47 && text.charCodeAt(i + 1) === 42) {
            this.commentDepth += 1;
            i += 2;
            continue;
          }
          if (i + 1 >= text.length && !final && (c === 42 || c === 47)) {
            flush(i);
            this.pending = text.slice(i);
            return events;
          }
          i += 1;
          break;
        }
      }
    }
    if (this.state !== 'copy') flush(text.length);
    return events;
  }

  /** The line of the first character of the current statement that is not white space. */
  private statementLine(): number {
    const leading = this.statement.length - this.statement.trimStart().length;
    return this.line + countNewlines(this.statement.slice(0, leading));
  }

  private endStatement(events: ScriptEvent[]): void {
    const sql = this.statement.trim();
    const lineNumber = this.statementLine();
    this.line += countNewlines(this.statement);
    this.statement = '';
    this.atStatementStart = true;
    if (!sql || sql === ';') return;
    if (COPY_FROM_STDIN.test(stripLeadingComments(sql))) {
      this.copyStartLine = lineNumber;
      events.push({ kind: 'copy-start', sql, lineNumber });
      this.state = 'copy';
      this.copyLine = '';
      this.copyAwaitingLine = true;
      return;
    }
    events.push({ kind: 'statement', sql, lineNumber });
  }

  private copyData(events: ScriptEvent[], data: string): void {
    events.push({ kind: 'copy-data', data, lineNumber: this.line });
    this.line += countNewlines(data);
  }

  private copyEnd(events: ScriptEvent[]): void {
    events.push({ kind: 'copy-end', lineNumber: this.line });
    this.line += 1;
  }

  /** Passes COPY data on line by line until the `\.` line; returns where normal scanning resumes. */
  private scanCopy(text: string, from: number, events: ScriptEvent[], final: boolean): number {
    let lineStart = from;
    let emitFrom = from;
    let carried = this.copyLine;
    while (lineStart < text.length) {
      const newline = text.indexOf('\n', lineStart);
      if (newline === -1) {
        if (lineStart > emitFrom) this.copyData(events, text.slice(emitFrom, lineStart));
        this.copyLine = carried + text.slice(lineStart);
        if (final && (this.copyLine === '\\.' || this.copyLine === '\\.\r')) {
          this.copyEnd(events);
          this.state = 'normal';
          this.copyLine = '';
        }
        return text.length;
      }
      const line = carried + text.slice(lineStart, newline);
      if (line === '\\.' || line === '\\.\r') {
        if (lineStart > emitFrom) this.copyData(events, text.slice(emitFrom, lineStart));
        this.copyEnd(events);
        this.state = 'normal';
        this.copyLine = '';
        return newline + 1;
      }
      if (carried) {
        this.copyData(events, `${carried}${text.slice(lineStart, newline + 1)}`);
        emitFrom = newline + 1;
        carried = '';
      }
      lineStart = newline + 1;
    }
    if (lineStart > emitFrom) this.copyData(events, text.slice(emitFrom, lineStart));
    this.copyLine = '';
    return text.length;
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}

function isIdentifierChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;
}

function stripLeadingComments(sql: string): string {
  return sql.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, '');
}

function describe(state: State): string {
  switch (state) {
    case 'single':
    case 'escape-string':
      return 'a quoted string';
    case 'double':
      return 'a quoted identifier';
    case 'dollar':
      return 'a dollar-quoted string';
    case 'block-comment':
      return 'a /* comment */';
    default:
      return state;
  }
}

/** Reads a whole script stream as events. */
export async function* readScript(input: AsyncIterable<Buffer>): AsyncGenerator<ScriptEvent> {
  const reader = new SqlScriptReader();
  for await (const piece of input) yield* reader.push(piece);
  yield* reader.end();
}
