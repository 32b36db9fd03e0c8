import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { ZstdCompress, ZstdDecompress } from './zstd-compress.js';
import { compressionOffThread, OffThreadZstdCompress } from './zstd-off-thread.js';

/** COPY-like text with repetition (compressible) and some noise, in uneven pieces, some of them views. */
function sampleInput(bytes: number): Buffer[] {
  const pieces: Buffer[] = [];
  let total = 0;
  let row = 0;
  while (total < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 1 + (row % 997); i += 1, row += 1) lines.push(`${row}\tuser${row}@example.com\t${randomBytes(6).toString('hex')}\t2026-11-25 12:00:00+00\n`);
    const text = Buffer.from(lines.join(''));
    // A view into a larger buffer, as pg-copy-streams hands on.
    const padded = Buffer.concat([Buffer.alloc(7), text, Buffer.alloc(5)]);
    pieces.push(padded.subarray(7, 7 + text.length));
    total += text.length;
  }
  return pieces;
}

async function compressWith(stream: NodeJS.ReadWriteStream, pieces: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), stream, new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }));
  return Buffer.concat(out);
}

describe('zstd compression streams', () => {
  it.each([
    ['on the main thread', () => new ZstdCompress(1)],
    ['on the worker thread', () => new OffThreadZstdCompress(1)],
  ])('%s: one zstd frame that decompresses to the input', async (_name, make) => {
    const pieces = sampleInput(3_000_000);
    const compressed = await compressWith(make(), pieces);
    expect(compressed.length).toBeLessThan(Buffer.concat(pieces).length / 2);
    expect(decompress(compressed).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('keeps concurrent streams on the worker apart, each in order', async () => {
    const inputs = [sampleInput(800_000), sampleInput(1_200_000), sampleInput(50)];
    const outputs = await Promise.all(inputs.map((pieces) => compressWith(new OffThreadZstdCompress(1), pieces)));
    outputs.forEach((compressed, i) => expect(decompress(compressed).equals(Buffer.concat(inputs[i]!))).toBe(true));
  });

  it('an empty input is still a valid frame', async () => {
    const compressed = await compressWith(new OffThreadZstdCompress(1), []);
    expect(decompress(compressed).length).toBe(0);
  });

  it('a stream destroyed half-way frees its place and does not disturb the next', async () => {
    const doomed = new OffThreadZstdCompress(1);
    const failed = new Promise((resolve) => doomed.on('error', resolve));
    doomed.write(Buffer.from('some bytes'));
    doomed.destroy(new Error('the datastore failed'));
    expect(((await failed) as Error).message).toBe('the datastore failed');
    const pieces = sampleInput(100_000);
    expect(decompress(await compressWith(new OffThreadZstdCompress(1), pieces)).equals(Buffer.concat(pieces))).toBe(true);
  });
});

describe('zstd decompression stream', () => {
  /** The compressed bytes cut into pieces of `size`, as a datastore's read stream hands them on. */
  const cut = (bytes: Buffer, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

  it.each([1, 777, 65_536, 1 << 22])('gives back the input whatever the size of the compressed pieces (%i bytes)', async (size) => {
    const input = Buffer.concat(sampleInput(size === 1 ? 200_000 : 3_000_000));
    const compressed = await compressWith(new ZstdCompress(1), [input]);
    const restored = await compressWith(new ZstdDecompress(), cut(compressed, size));
    expect(restored.equals(input)).toBe(true);
  });

  it('waits for its reader: a small input that decompresses to 64 MB is not pushed out at once', async () => {
    const input = Buffer.alloc(64 << 20, 'abcdefghijklmnopqrstuvwxyz012345');
    const compressed = await compressWith(new ZstdCompress(1), [input]);
    expect(compressed.length).toBeLessThan(64 * 1024);
    const stream = new ZstdDecompress();
    stream.write(compressed);
    await new Promise((resolve) => setImmediate(resolve));
    // Before, all 64 MB sat in the readable buffer here; now a piece or two until something reads.
    expect(stream.readableLength).toBeLessThanOrEqual(512 * 1024);
    stream.end();
    let bytes = 0;
    for await (const piece of stream) {
      expect((piece as Buffer).equals(input.subarray(bytes, bytes + (piece as Buffer).length))).toBe(true);
      bytes += (piece as Buffer).length;
    }
    expect(bytes).toBe(input.length);
  });

  it('never stalls behind a reader that keeps coming back (1 MB compressed pieces, piped into a slow writer)', async () => {
    const input = Buffer.concat(sampleInput(24_000_000));
    const compressed = await compressWith(new ZstdCompress(1), [input]);
    let bytes = 0;
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, done) {
        expect(chunk.equals(input.subarray(bytes, bytes + chunk.length))).toBe(true);
        bytes += chunk.length;
        writes += 1;
        if (writes % 7 === 0) setTimeout(done, 1);
        else done();
      },
    });
    // An input that ended without output while a piece waited left its callback to a read that never came.
    await pipeline(Readable.from(cut(compressed, 1 << 20)), new ZstdDecompress(), new PassThrough({ highWaterMark: 1 << 20 }), slow);
    expect(bytes).toBe(input.length);
  }, 60_000);

  it('reads two frames one after the other (chunks written by two streams)', async () => {
    const [first, second] = [Buffer.concat(sampleInput(500_000)), Buffer.concat(sampleInput(300_000))];
    const frames = Buffer.concat([await compressWith(new ZstdCompress(1), [first!]), await compressWith(new ZstdCompress(1), [second!])]);
    expect((await compressWith(new ZstdDecompress(), cut(frames, 4096))).equals(Buffer.concat([first!, second!]))).toBe(true);
  });

  it('refuses data that stops inside a frame, and data that is not zstd', async () => {
    const compressed = await compressWith(new ZstdCompress(1), sampleInput(1_000_000));
    await expect(compressWith(new ZstdDecompress(), [compressed.subarray(0, compressed.length - 100)])).rejects.toThrow('ends in the middle of a compressed frame');
    await expect(compressWith(new ZstdDecompress(), [Buffer.from('certainly not a zstd frame')])).rejects.toThrow();
  });
});

describe('where zstd runs', () => {
  it('REPLIBYTE_COMPRESSION_THREAD=0 or 1 overrides the choice made from the number of cores', () => {
    const saved = process.env.REPLIBYTE_COMPRESSION_THREAD;
    try {
      process.env.REPLIBYTE_COMPRESSION_THREAD = '0';
      expect(compressionOffThread()).toBe(false);
      process.env.REPLIBYTE_COMPRESSION_THREAD = '1';
      expect(compressionOffThread()).toBe(true);
      delete process.env.REPLIBYTE_COMPRESSION_THREAD;
      expect(compressionOffThread()).toBe(availableParallelism() > 2);
    } finally {
      if (saved === undefined) delete process.env.REPLIBYTE_COMPRESSION_THREAD;
      else process.env.REPLIBYTE_COMPRESSION_THREAD = saved;
    }
  });
});
