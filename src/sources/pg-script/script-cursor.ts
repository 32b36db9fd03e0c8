import { readScript, type ScriptEvent } from '../../encode/sql-script-reader.js';
import { ReplibyteError } from '../../errors.js';

/**
 * The events of a streaming script, with one event of look-ahead: a part of the dump ends where
 * the next event belongs to another part, so the reader of a part peeks before it takes.
 */
export class ScriptCursor {
  private readonly events: AsyncIterator<ScriptEvent>;
  private peeked: ScriptEvent | undefined;
  private done = false;
  /** The last statement (or COPY) taken, for a message about where the script ends. */
  last: { line: number; excerpt: string } | undefined;

  constructor(
    input: AsyncIterable<Buffer>,
    private readonly where: string,
  ) {
    this.events = readScript(input)[Symbol.asyncIterator]();
  }

  async peek(): Promise<ScriptEvent | undefined> {
    if (this.peeked || this.done) return this.peeked;
    let result: IteratorResult<ScriptEvent>;
    try {
      result = await this.events.next();
    } catch (error) {
      if (error instanceof ReplibyteError) throw error;
      throw new ReplibyteError(`${this.where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (result.done) this.done = true;
    else this.peeked = result.value;
    return this.peeked;
  }

  async next(): Promise<ScriptEvent | undefined> {
    const event = await this.peek();
    this.peeked = undefined;
    if (event && (event.kind === 'statement' || event.kind === 'copy-start')) {
      const text = event.sql.replace(/^(?:\s+|--[^\n]*\n)*/, '').replace(/\s+/g, ' ').trim();
      this.last = { line: event.lineNumber ?? 0, excerpt: text.length > 80 ? `${text.slice(0, 77)}...` : text };
    }
    return event;
  }
}
