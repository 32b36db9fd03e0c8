import { Transform, type TransformCallback } from 'node:stream';
import { createRequire } from 'node:module';

type Binding = typeof import('zstd-napi/binding.js');

/** Decompressed bytes are handed on in pieces of this size. */
const DECOMPRESSED_PIECE = 256 * 1024;
/** Compressed bytes are handed on in pieces of about this size (the encryption segment size). */
const OUTPUT_PIECE = 64 * 1024;

/**
 * zstd compression as a stream, on zstd-napi's binding (`ZSTD_compressStream2`). zstd-napi's own
 * CompressStream hands on every output as a view of a fresh 128 KiB buffer, so each few KB of compressed
 * output kept 128 KiB alive until the next stage let go of it: tens of MB of resident memory in a dump.
 * Here one output buffer is reused, and what zstd produced is copied out in ~64 KiB pieces, so memory
 * held downstream is the compressed bytes themselves.
 */
export class ZstdCompress extends Transform {
  private readonly context: InstanceType<Binding['CCtx']>;
  private readonly binding: Binding;
  private readonly output: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(level: number) {
    super({ highWaterMark: 256 * 1024 });
    this.binding = loadBinding();
    this.context = new this.binding.CCtx();
    this.context.setParameter(this.binding.CParameter.compressionLevel, level);
    this.output = Buffer.allocUnsafe(this.binding.cStreamOutSize());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.compress(chunk, this.binding.EndDirective.continue);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.compress(Buffer.alloc(0), this.binding.EndDirective.end);
      this.handOn();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private compress(input: Buffer, directive: number): void {
    const ending = directive !== this.binding.EndDirective.continue;
    let rest = input;
    for (;;) {
      const [remaining, produced, consumed] = this.context.compressStream2(this.output, rest, directive);
      if (produced > 0) {
        this.pending.push(Buffer.from(this.output.subarray(0, produced)));
        this.pendingBytes += produced;
        if (this.pendingBytes >= OUTPUT_PIECE) this.handOn();
      }
      rest = rest.subarray(consumed);
      if (rest.length === 0 && (!ending || remaining === 0)) return;
    }
  }

  private handOn(): void {
    if (this.pendingBytes === 0) return;
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * zstd decompression as a stream, on the binding's `ZSTD_decompressStream`. zstd-napi's DecompressStream
 * allocates a fresh 128 KiB buffer for every step and hands on views of it; here zstd writes straight
 * into the 256 KiB piece that is handed on once full, so a restore allocates about the bytes it restores,
 * copies nothing, and collects less garbage on the main thread (which competes with the server for CPU).
 *
 * It also waits for its reader: a few KB of a chunk that compresses well (a 64 MB chunk of repeated
 * text is 8 KB) would otherwise be decompressed whole in one step, all of it pushed past the stream's
 * high-water mark. Once a push is refused, the rest of the input waits until the reader asks for more.
 */
export class ZstdDecompress extends Transform {
  private readonly context: InstanceType<Binding['DCtx']>;
  private piece = Buffer.allocUnsafeSlow(DECOMPRESSED_PIECE);
  private filled = 0;
  /** Whether the input stopped inside a frame (zstd still expects bytes). */
  private inFrame = false;
  /** The rest of an input, waiting for the reader to take what was pushed. */
  private paused: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: DECOMPRESSED_PIECE });
    this.context = new (loadBinding().DCtx)();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decompress(chunk, callback);
  }

  override _read(size: number): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.();
    // Unless that input paused again, let the stream hand over the next one: an input that ended
    // without a push left its callback waiting for this read, and no other read would come.
    if (!this.paused) super._read(size);
  }

  private decompress(input: Buffer, callback: TransformCallback): void {
    try {
      let rest = input;
      for (;;) {
        const room = this.piece.length - this.filled;
        const [remaining, produced, consumed] = this.context.decompressStream(this.piece.subarray(this.filled), rest);
        this.filled += produced;
        rest = rest.subarray(consumed);
        let accepted = true;
        if (this.filled === this.piece.length) {
          accepted = this.push(this.piece);
          this.piece = Buffer.allocUnsafeSlow(DECOMPRESSED_PIECE);
          this.filled = 0;
        }
        // Done with this input once it is consumed and zstd did not fill the room it had (nothing left inside).
        if (rest.length === 0 && (produced < room || remaining === 0)) {
          this.inFrame = remaining !== 0;
          break;
        }
        if (!accepted) {
          const left = rest;
          this.paused = () => this.decompress(left, callback);
          return;
        }
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.inFrame) {
      callback(new Error('zstd: the data ends in the middle of a compressed frame'));
      return;
    }
    if (this.filled > 0) this.push(this.piece.subarray(0, this.filled));
    callback();
  }
}

let binding: Binding | undefined;

function loadBinding(): Binding {
  binding ??= createRequire(import.meta.url)('zstd-napi/binding.js') as Binding;
  return binding;
}
