import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * zstd compression on a worker thread. In a dump the main thread reads the database, rewrites transformed
 * rows, encrypts and writes; zstd was a quarter of its time (a profile of the benchmark at scale 1). On a
 * machine with a second core, the chunks' bytes are posted to one worker thread that runs zstd and posts
 * the compressed bytes back, in order, a few messages in flight per stream for backpressure.
 * docs/decisions/0007-compression-off-the-main-thread.md says why a worker and not zstd's own threads.
 */

/** Messages a stream may have at the worker before it waits (each is one write: ≤ 256 KiB). */
const IN_FLIGHT = 4;

/**
 * The worker's code. It is plain JavaScript evaluated by the Worker (eval mode) rather than a file, so
 * that it runs the same from the bundle, from the TypeScript sources under test, and from any install
 * layout; it needs nothing but zstd-napi's binding, whose resolved path it is given.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const binding = require(workerData.bindingPath);
const PIECE = 64 * 1024;
const output = Buffer.allocUnsafe(binding.cStreamOutSize());
const streams = new Map();
// Pieces are fresh Uint8Arrays (never Buffer's shared pool), so they can be transferred, not copied.
function compress(stream, input, directive) {
  const pieces = [];
  let pending = [];
  let pendingBytes = 0;
  const handOn = () => {
    if (pendingBytes === 0) return;
    const piece = new Uint8Array(pendingBytes);
    let offset = 0;
    for (const part of pending) {
      piece.set(part, offset);
      offset += part.length;
    }
    pieces.push(piece);
    pending = [];
    pendingBytes = 0;
  };
  const ending = directive !== binding.EndDirective.continue;
  let rest = input;
  for (;;) {
    const [remaining, produced, consumed] = stream.compressStream2(output, rest, directive);
    if (produced > 0) {
      pending.push(Uint8Array.prototype.slice.call(output, 0, produced));
      pendingBytes += produced;
      if (pendingBytes >= PIECE) handOn();
    }
    rest = rest.subarray(consumed);
    if (rest.length === 0 && (!ending || remaining === 0)) break;
  }
  handOn();
  return pieces;
}
parentPort.on('message', (message) => {
  const { id, op } = message;
  try {
    if (op === 'open') {
      const context = new binding.CCtx();
      context.setParameter(binding.CParameter.compressionLevel, message.level);
      streams.set(id, context);
      return;
    }
    if (op === 'close') {
      streams.delete(id);
      return;
    }
    const context = streams.get(id);
    if (!context) return;
    const input = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    const directive = op === 'end' ? binding.EndDirective.end : binding.EndDirective.continue;
    const pieces = compress(context, input, directive);
    if (op === 'end') streams.delete(id);
    parentPort.postMessage({ id, op: op === 'end' ? 'ended' : 'written', pieces }, pieces.map((piece) => piece.buffer));
  } catch (error) {
    streams.delete(id);
    parentPort.postMessage({ id, op: 'error', message: String(error && error.message || error) });
  }
});
`;

interface Reply {
  id: number;
  op: 'written' | 'ended' | 'error';
  pieces?: Uint8Array[];
  message?: string;
}

/** The one compression worker of the process, started on first use; it never keeps the process alive. */
class CompressionWorker {
  private readonly worker: Worker;
  private readonly streams = new Map<number, OffThreadZstdCompress>();
  private nextId = 1;

  constructor() {
    const bindingPath = createRequire(import.meta.url).resolve('zstd-napi/binding');
    // Everything the worker allocates dies young (inputs after use, outputs once transferred): a small
    // young generation collects it often. With V8's default the worker held ~30 MB more at peak.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bindingPath }, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.streams.get(reply.id)?.onReply(reply));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`the compression worker stopped (exit code ${code})`)));
  }

  register(stream: OffThreadZstdCompress, level: number): number {
    const id = this.nextId++;
    this.streams.set(id, stream);
    // A stream in progress keeps the worker (and so the process) alive; an idle worker does not.
    if (this.streams.size === 1) this.worker.ref();
    this.worker.postMessage({ id, op: 'open', level });
    return id;
  }

  /** Posts a copy of exactly these bytes (cloning a view would copy its whole underlying buffer). */
  send(id: number, op: 'write' | 'end', data: Uint8Array): void {
    const copy = new Uint8Array(data);
    this.worker.postMessage({ id, op, data: copy }, [copy.buffer]);
  }

  release(id: number, tellWorker: boolean): void {
    if (!this.streams.delete(id)) return;
    if (tellWorker) this.worker.postMessage({ id, op: 'close' });
    if (this.streams.size === 0) this.worker.unref();
  }

  private failAll(error: Error): void {
    for (const stream of [...this.streams.values()]) stream.destroy(error);
    this.streams.clear();
    if (shared === this) shared = undefined;
  }
}

let shared: CompressionWorker | undefined;

/**
 * Whether zstd should run on a worker thread: only when there are more than two cores (decision 0007).
 * `REPLIBYTE_COMPRESSION_THREAD=0` keeps it on the main thread, `=1` moves it off anyway.
 */
export function compressionOffThread(): boolean {
  const setting = process.env.REPLIBYTE_COMPRESSION_THREAD;
  if (setting === '0' || setting === '1') return setting === '1';
  return availableParallelism() > 2;
}

/** A zstd compressor whose work happens on the shared compression worker. Output is the same zstd frame. */
export class OffThreadZstdCompress extends Transform {
  private readonly worker: CompressionWorker;
  private readonly id: number;
  private inFlight = 0;
  private waiting: TransformCallback | undefined;
  private flushed: TransformCallback | undefined;
  private finished = false;

  constructor(level: number) {
    super({ highWaterMark: 256 * 1024 });
    shared ??= new CompressionWorker();
    this.worker = shared;
    this.id = this.worker.register(this, level);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.worker.send(this.id, 'write', chunk);
    this.inFlight += 1;
    if (this.inFlight < IN_FLIGHT) callback();
    else this.waiting = callback;
  }

  override _flush(callback: TransformCallback): void {
    this.flushed = callback;
    this.worker.send(this.id, 'end', new Uint8Array(0));
  }

  /** Replies come in the order the messages were sent: one per write, then one for the end. */
  onReply(reply: Reply): void {
    if (reply.op === 'error') {
      this.worker.release(this.id, false);
      this.destroy(new Error(`zstd compression failed: ${reply.message}`));
      return;
    }
    for (const piece of reply.pieces ?? []) this.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    if (reply.op === 'ended') {
      this.finished = true;
      this.worker.release(this.id, false);
      this.flushed?.();
      return;
    }
    this.inFlight -= 1;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.finished) this.worker.release(this.id, true);
    callback(error);
  }
}
