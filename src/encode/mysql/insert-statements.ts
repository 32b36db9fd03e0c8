import { ReplibyteError } from '../../errors.js';

/** One INSERT statement of a live dump's table part, without its `;`. */
export interface InsertStatement {
  text: Buffer;
  /** Line of the part the statement starts on (1-based). */
  line: number;
}

const STATEMENT_END = Buffer.from(';\n');
const INSERT = Buffer.from('INSERT INTO ');
const SEMICOLON = 0x3b;
const NEWLINE = 0x0a;

/**
 * The statements of a table part that InsertBatcher wrote (a live dump's rows): one row per line, every
 * statement `INSERT INTO … VALUES (…),\n(…);\n`. A value never holds a raw newline (it is escaped as
 * `\n`), so `;` then a newline ends a statement and nothing else does, and the part is cut with the
 * native `indexOf` instead of reading every byte as the general splitter (statement-splitter.ts) must.
 * Anything else (a statement that is not `INSERT INTO`, text after the last `;`) is an error, never
 * sent: a part that does not have this shape was not written by replibyte.
 */
export async function* liveInsertStatements(input: AsyncIterable<Buffer>, where: string): AsyncGenerator<InsertStatement> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  const statement = (text: Buffer): InsertStatement => {
    if (text.length < INSERT.length || !text.subarray(0, INSERT.length).equals(INSERT)) {
      throw new ReplibyteError(`${where}, line ${line}: not an INSERT INTO statement: a table part of a live MySQL dump holds nothing else`);
    }
    const found = { text, line };
    for (let at = text.indexOf(NEWLINE); at !== -1; at = text.indexOf(NEWLINE, at + 1)) line += 1;
    line += 1; // the newline after the `;`
    return found;
  };
  for await (const chunk of input) {
    let from = 0;
    // A `;` that ended the previous chunk and a newline that starts this one.
    if (pendingBytes > 0 && chunk.length > 0 && chunk[0] === NEWLINE && pending.at(-1)!.at(-1) === SEMICOLON) {
      const text = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      yield statement(text.subarray(0, text.length - 1));
      from = 1;
    }
    for (let end = chunk.indexOf(STATEMENT_END, from); end !== -1; end = chunk.indexOf(STATEMENT_END, from)) {
      const piece = chunk.subarray(from, end);
      const text = pendingBytes > 0 ? Buffer.concat([...pending, piece], pendingBytes + piece.length) : piece;
      pending = [];
      pendingBytes = 0;
      from = end + STATEMENT_END.length;
      yield statement(text);
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
    }
  }
  if (pendingBytes > 0) throw new ReplibyteError(`${where}, line ${line}: the part ends inside a statement (no \`;\` at the end of its last line)`);
}
