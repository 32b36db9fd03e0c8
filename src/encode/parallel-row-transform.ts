import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { countNewlines } from '../dump/chunk-streams.js';
import type { ColumnTransform, TransformRecipe } from '../transformers/row-transform.js';
import { CopyRowTransform } from './copy-row-transform.js';

/** What a row-transform worker is started with. */
export interface WorkerSetup {
  columns: readonly string[];
  transforms: Array<{ index: number; recipe: TransformRecipe }>;
  where: string;
}

/** A batch of whole COPY lines for a worker; `firstLine` is the number of rows before it, for messages. */
export interface BatchRequest {
  seq: number;
  firstLine: number;
  bytes: Uint8Array;
}

export type BatchReply = { seq: number; bytes: Uint8Array; error?: undefined } | { seq: number; error: string; bytes?: undefined };

/** Lines are sent to the workers in batches of about this many bytes. */
const BATCH_BYTES = 256 * 1024;
/** Below this many rows (the catalog's estimate), starting workers costs more than it saves. */
const PARALLEL_MIN_ROWS = 100_000;
/**
 * Transformers a worker cannot rebuild from data: they load user code. (Templates and options that read
 * another column's transformed value run there: a worker builds every transform of the table.)
 */
const MAIN_THREAD_ONLY = new Set(['custom', 'custom-wasm']);

/**
 * The stream that rewrites a table's transformed columns: on worker threads when the machine has more
 * than two cores, the table is large and every transform can be rebuilt there, else on this thread. `REPLIBYTE_TRANSFORM_THREADS=0` keeps
 * every table on this thread; `=N` uses N workers for every table that can use them, whatever its size.
 */
export function rowRewriteStream(columns: readonly string[], transforms: readonly ColumnTransform[], where: string, estimatedRows: number): Transform {
  const threads = transformThreads(estimatedRows);
  const workerScript = threads > 0 ? rowTransformWorkerScript() : undefined;
  const recipes = transforms.map((t) => (t.recipe && runsInWorker(t.recipe) ? { index: t.index, recipe: t.recipe } : undefined));
  if (workerScript === undefined || recipes.some((r) => r === undefined)) return new CopyRowTransform(columns, transforms, where);
  return new ParallelRowTransform(workerScript, { columns, transforms: recipes as WorkerSetup['transforms'], where }, threads);
}

function transformThreads(estimatedRows: number): number {
  const setting = process.env.REPLIBYTE_TRANSFORM_THREADS;
  if (setting !== undefined && setting !== '') {
    const forced = Number(setting);
    if (Number.isInteger(forced) && forced >= 0) return forced;
  }
  // On two cores the server's COPY, the main thread and a worker share the CPU: measured, a worker saved
  // nothing and cost 60 MB (decision 0010). The main thread still reads, compresses and encrypts: leave it a core.
  const cores = availableParallelism();
  if (estimatedRows < PARALLEL_MIN_ROWS || cores <= 2) return 0;
  return Math.min(4, cores - 1);
}

function runsInWorker(recipe: TransformRecipe): boolean {
  if (MAIN_THREAD_ONLY.has(recipe.transformer)) return false;
  if (recipe.transformer !== 'json') return true;
  const paths = (recipe.options as { paths?: Array<{ transformer_name?: string }> }).paths ?? [];
  return paths.every((path) => !MAIN_THREAD_ONLY.has(path.transformer_name ?? ''));
}

/**
 * The worker's script: dist/row-transform-worker.js, beside this module once bundled, or in the
 * package's dist/ when this module runs from its TypeScript source (tests build dist/ first). Without
 * it (an unbuilt checkout) the rows are rewritten on this thread.
 */
function rowTransformWorkerScript(): URL | undefined {
  for (const candidate of ['./row-transform-worker.js', '../../dist/row-transform-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * Rewrites COPY text rows on worker threads: whole lines in batches, handed to the workers in turn,
 * their results pushed in the order the batches were cut, so the output is byte for byte what
 * CopyRowTransform writes. At most two batches per worker are in flight: past that the stream stops
 * taking input, so a slow consumer slows the reader and memory stays bounded.
 */
export class ParallelRowTransform extends Transform {
  private readonly workers: Worker[];
  private readonly maxInFlight: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** How many of the pending bytes are whole lines (up to the last newline received). */
  private completeBytes = 0;
  private rowsSent = 0;
  private nextSeq = 0;
  private nextToPush = 0;
  private inFlight = 0;
  private readonly finished = new Map<number, Buffer>();
  /** The write callback held back while the workers are full. */
  private heldCallback: TransformCallback | undefined;
  private flushCallback: TransformCallback | undefined;
  private failure: Error | undefined;
  /** Set once the workers are told to stop: their exit is then expected. */
  private stopping = false;
  private readonly where: string;

  constructor(
    script: URL,
    setup: WorkerSetup,
    threads: number,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.maxInFlight = threads * 2;
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(script, { workerData: setup });
      worker.on('message', (reply: BatchReply) => this.onReply(reply));
      worker.on('error', (error) => this.fail(new Error(`${setup.where}: a transform worker failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0 && !this.stopping) this.fail(new Error(`${setup.where}: a transform worker stopped (exit code ${code})`));
      });
      return worker;
    });
    this.where = setup.where;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    // Only the new chunk is searched for a newline: a row wider than a batch is then joined once, when
    // it ends, instead of being joined and searched again with every chunk (quadratic in the row).
    const newline = chunk.lastIndexOf(10);
    if (newline !== -1) this.completeBytes = this.pendingBytes + newline + 1;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= BATCH_BYTES && this.completeBytes > 0) this.sendBatch();
    if (this.inFlight >= this.maxInFlight) this.heldCallback = callback;
    else callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    this.sendBatch();
    if (this.pendingBytes > 0) {
      callback(new Error(`${this.where}: the last row has no end of line (COPY data truncated)`));
      return;
    }
    this.flushCallback = callback;
    this.finishIfDone();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.stopWorkers();
    callback(error);
  }

  /** Sends every whole line received so far as one batch; the unfinished last line waits for more. */
  private sendBatch(): void {
    const end = this.completeBytes;
    if (end === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const rest = data.subarray(end);
    this.completeBytes = 0;
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    const bytes = data.subarray(0, end);
    const request: BatchRequest = { seq: this.nextSeq, firstLine: this.rowsSent, bytes };
    this.workers[this.nextSeq % this.workers.length]!.postMessage(request);
    this.rowsSent += countNewlines(bytes);
    this.nextSeq += 1;
    this.inFlight += 1;
  }

  private onReply(reply: BatchReply): void {
    if (this.failure || this.destroyed) return;
    this.inFlight -= 1;
    if (reply.error !== undefined) {
      this.fail(new Error(reply.error));
      return;
    }
    this.finished.set(reply.seq, Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
    for (let next = this.finished.get(this.nextToPush); next !== undefined; next = this.finished.get(this.nextToPush)) {
      this.finished.delete(this.nextToPush);
      this.nextToPush += 1;
      this.push(next);
    }
    if (this.heldCallback && this.inFlight < this.maxInFlight) {
      const callback = this.heldCallback;
      this.heldCallback = undefined;
      callback();
    }
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (!this.flushCallback || this.inFlight > 0) return;
    const callback = this.flushCallback;
    this.flushCallback = undefined;
    void this.stopWorkers().then(() => callback(), (error: Error) => callback(error));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const callback = this.heldCallback ?? this.flushCallback;
    this.heldCallback = undefined;
    this.flushCallback = undefined;
    if (callback) callback(error);
    else this.destroy(error);
  }

  private async stopWorkers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
