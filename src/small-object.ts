import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ReplibyteError } from './errors.js';

/**
 * Objects read whole into memory (configs, manifests, the original Replibyte's index) are read only up
 * to a limit checked before reading: a planted 1 GB manifest, or `-c /dev/urandom`, is one clear error,
 * not a process that fills its memory. The limits are far above what replibyte writes.
 */
export const MIB = 1024 * 1024;
const READ_PIECE = 1 << 20;
/** What `Datastore.getSmall` reads at most when not told otherwise. */
export const SMALL_OBJECT_MAX_BYTES = 4 * MIB;

/** An object that exists but cannot be taken as a small object: too large, not a file, not what it should be. */
export class DamagedObjectError extends ReplibyteError {
  constructor(
    /** What and where: `config file conf.yaml`, `local disk /dumps: d1/manifest.json`. */
    readonly label: string,
    /** Why, without the label: `not valid JSON`. */
    readonly reason: string,
    hint?: string,
  ) {
    super(`${label}: ${reason}`, hint);
    this.name = 'DamagedObjectError';
  }
}

export function tooLarge(size: number | undefined, maxBytes: number): string {
  return `too large (${size === undefined ? `more than ${maxBytes}` : size} bytes; at most ${maxBytes} are read)`;
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A regular file's bytes, at most `maxBytes`; undefined when it does not exist. Anything else (a
 * directory, a FIFO, a device) is refused before a byte is read: opened without blocking (a FIFO with
 * no writer would hang a plain open), checked with fstat on the open descriptor (no race with a swap),
 * then read in a bounded loop (a file growing meanwhile is still cut at the limit).
 */
export async function readSmallFile(path: string, maxBytes: number, label: string, extraFlags = 0): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | extraFlags);
  } catch (error) {
    // ENOTDIR: a component of the path is a file (`metadata.json/manifest.json`), so this one does not exist.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DamagedObjectError(label, `not a regular file (${kindOf(info)})`);
    if (info.size > maxBytes) throw new DamagedObjectError(label, tooLarge(info.size, maxBytes));
    // Read in pieces up to one byte past the limit: a file that grew since fstat is still cut there.
    const pieces: Buffer[] = [];
    let length = 0;
    for (;;) {
      const piece = Buffer.allocUnsafe(Math.min(READ_PIECE, maxBytes + 1 - length, Math.max(info.size + 1 - length, 1 << 16)));
      const { bytesRead } = await handle.read(piece, 0, piece.length, null);
      if (bytesRead === 0) return Buffer.concat(pieces, length);
      pieces.push(piece.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) throw new DamagedObjectError(label, tooLarge(undefined, maxBytes));
    }
  } finally {
    await handle.close();
  }
}

/** A stream's bytes, at most `maxBytes`; beyond that the stream is destroyed and the object refused. */
export async function readBoundedStream(stream: Readable, maxBytes: number, label: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let length = 0;
  for await (const piece of stream) {
    const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    length += bytes.length;
    if (length > maxBytes) {
      stream.destroy();
      throw new DamagedObjectError(label, tooLarge(undefined, maxBytes));
    }
    pieces.push(bytes);
  }
  return Buffer.concat(pieces, length);
}
