import { createGunzip, createGzip, createInflate } from 'node:zlib';
import { PassThrough, type Transform } from 'node:stream';
import type { CompressionCodec } from '../config/load.js';
import { ZstdCompress, ZstdDecompress } from './zstd-compress.js';
import { compressionOffThread, OffThreadZstdCompress } from './zstd-off-thread.js';

/** Level 1: see docs/decisions/0001-zstd-by-default.md for why not the library's default 3. */
const ZSTD_LEVEL = 1;

/**
 * Chunk codecs. zstd is the default: on this class of machine it runs about 4.5x faster than gzip -6
 * with a slightly smaller output (docs/decisions/0001-zstd-by-default.md). gzip stays for those who
 * need a universally readable codec; zlib ("deflate") is only read, for the original tool's chunks.
 */
export function compressStream(codec: CompressionCodec): Transform {
  switch (codec) {
    case 'zstd':
      return compressionOffThread() ? new OffThreadZstdCompress(ZSTD_LEVEL) : new ZstdCompress(ZSTD_LEVEL);
    case 'gzip':
      return createGzip({ level: 6 });
    case 'none':
      return new PassThrough();
  }
}

export function decompressStream(codec: CompressionCodec | 'zlib'): Transform {
  switch (codec) {
    case 'zstd':
      return new ZstdDecompress();
    case 'gzip':
      return createGunzip();
    case 'zlib':
      return createInflate();
    case 'none':
      return new PassThrough();
  }
}
