import { Transform, type TransformCallback } from 'node:stream';
import { createRequire } from 'node:module';

type Binding = typeof import('zstd-napi/binding.js');

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

let binding: Binding | undefined;

function loadBinding(): Binding {
  binding ??= createRequire(import.meta.url)('zstd-napi/binding.js') as Binding;
  return binding;
}
