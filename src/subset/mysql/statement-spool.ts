import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Statements held in memory before the spool moves to a file. */
const MEMORY_BYTES = 8 << 20;

/**
 * SQL statements written while a query is still streaming its result over the connection that must
 * then run them (one MySQL connection runs one statement at a time, and the kept keys live in its
 * session), replayed once the query has ended. A few MB are held in memory; beyond that the statements
 * go to a file in the temporary directory, removed by `dispose()`. So the keys of one walk step never
 * have to fit in the process, however large the subset.
 */
export class StatementSpool {
  private memory: Buffer[] = [];
  private memoryBytes = 0;
  private file?: { dir: string; handle: FileHandle; bytes: number };

  constructor(private readonly memoryLimit = MEMORY_BYTES) {}

  /** Whether the statements went to a file (for tests). */
  get spilled(): boolean {
    return this.file !== undefined;
  }

  async push(statement: Buffer): Promise<void> {
    if (!this.file && this.memoryBytes + statement.length <= this.memoryLimit) {
      this.memory.push(statement);
      this.memoryBytes += statement.length;
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), 'replibyte-subset-'));
      this.file = { dir, handle: await open(join(dir, 'keys.sql'), 'w+'), bytes: 0 };
    }
    const header = Buffer.alloc(4);
    header.writeUInt32BE(statement.length);
    await this.file.handle.write(header, 0, 4, this.file.bytes);
    await this.file.handle.write(statement, 0, statement.length, this.file.bytes + 4);
    this.file.bytes += 4 + statement.length;
  }

  /** Every statement pushed, in order: the ones in memory first, then the file's. */
  async *statements(): AsyncGenerator<Buffer> {
    yield* this.memory;
    if (!this.file) return;
    const { handle, bytes } = this.file;
    const header = Buffer.alloc(4);
    for (let position = 0; position < bytes; ) {
      await handle.read(header, 0, 4, position);
      const length = header.readUInt32BE(0);
      const statement = Buffer.alloc(length);
      await handle.read(statement, 0, length, position + 4);
      position += 4 + length;
      yield statement;
    }
  }

  async dispose(): Promise<void> {
    this.memory = [];
    this.memoryBytes = 0;
    const file = this.file;
    this.file = undefined;
    if (file) {
      await file.handle.close().catch(() => undefined);
      await rm(file.dir, { recursive: true, force: true });
    }
  }
}
