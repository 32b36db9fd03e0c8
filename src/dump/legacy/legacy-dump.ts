import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Datastore } from '../../datastores/datastore.js';
import { errorMessage, ReplibyteError } from '../../errors.js';
import { decompressStream } from '../compression.js';
import { DumpFault } from '../dump-fault.js';
import type { Manifest, ManifestPart } from '../manifest.js';
import { LegacyAuthenticationError, LegacyChunkOpener, legacyKey } from './legacy-chunk-opener.js';
import type { LegacyEntry } from './legacy-index.js';

const CHUNK_NAME = /^(\d+)\.dump$/;

export interface LegacyDump {
  /** A manifest made up for the destinations: one SQL part, the whole script. Never stored. */
  manifest: Manifest;
  readPart: (part: ManifestPart) => AsyncIterable<Buffer>;
  /** The chunk keys (relative to the dump), in numeric order. */
  chunks: string[];
}

/** `<name>/<n>.dump` in numeric order: `10.dump` after `9.dump` (the original sorted them as strings). */
export async function listLegacyChunks(datastore: Datastore, name: string): Promise<string[]> {
  const found: Array<{ key: string; n: number }> = [];
  for await (const key of datastore.list(`${name}/`)) {
    const match = CHUNK_NAME.exec(key.slice(name.length + 1));
    if (match) found.push({ key: key.slice(name.length + 1), n: Number(match[1]) });
  }
  return found.sort((a, b) => a.n - b.n).map((chunk) => chunk.key);
}

/**
 * Opens a dump written by the original Replibyte. Its chunks carry no checksum: an encrypted dump is
 * authenticated chunk by chunk (AES-GCM tags) in a first pass, before any plaintext is released, so a
 * wrong key or a damaged chunk is reported before the destination is touched; an unencrypted one is
 * only checked by zlib's Adler-32 at the end of each chunk, and by the restore's single transaction.
 */
export async function openLegacyDump(datastore: Datastore, entry: LegacyEntry, passphrase: string | undefined): Promise<LegacyDump> {
  const chunks = await listLegacyChunks(datastore, entry.name);
  if (chunks.length === 0) throw new ReplibyteError(`dump ${entry.name} (original Replibyte format) has no chunks in ${datastore.description}`);
  const numbers = chunks.map((key) => Number(CHUNK_NAME.exec(key)![1]));
  numbers.forEach((n, index) => {
    if (n !== index + 1) throw new DumpFault(`dump ${entry.name} (original Replibyte format): chunk ${index + 1}.dump is missing`, `${index + 1}.dump`);
  });
  let key: Buffer | undefined;
  if (entry.encrypted) {
    if (!passphrase) throw new ReplibyteError(`dump ${entry.name} is encrypted: set encryption_key in the config to read it`);
    key = legacyKey(passphrase);
    for (const [index, chunk] of chunks.entries()) {
      const stored = await getChunk(datastore, entry.name, chunk);
      try {
        await pipeline(stored, new LegacyChunkOpener(key, false), discard());
      } catch (error) {
        if (!(error instanceof LegacyAuthenticationError)) throw error;
        if (index === 0) {
          throw new ReplibyteError(
            `wrong encryption key for dump ${entry.name} (or its chunk ${chunk} is damaged: the original format cannot tell these apart)`,
          );
        }
        throw new DumpFault(`dump ${entry.name}, chunk ${chunk}: ${error.message}: it was altered, truncated or replaced`, chunk);
      }
    }
  }
  const part: ManifestPart = { kind: 'sql', section: 'pre-data', label: 'script (original Replibyte format)', encoding: 'sql', rawBytes: 0, chunks: [] };
  const manifest: Manifest = {
    format: 'replibyte-dump',
    version: 1,
    name: entry.name,
    id: '0'.repeat(32),
    createdAt: entry.createdAt.toISOString(),
    finishedAt: entry.createdAt.toISOString(),
    tool: 'replibyte (original)',
    // The original did not record the engine; its scripts restored here are PostgreSQL's.
    engine: { kind: 'postgresql' },
    source: { kind: 'script' },
    compression: 'none',
    encryption: null,
    // What the original's wipe dropped.
    schemas: ['public'],
    parts: [part],
    transformed: [],
    totals: { rows: 0, rawBytes: 0, storedBytes: entry.size, chunks: chunks.length },
  };
  return { manifest, chunks, readPart: () => readLegacyChunks(datastore, entry, chunks, key) };
}

async function* readLegacyChunks(datastore: Datastore, entry: LegacyEntry, chunks: string[], key: Buffer | undefined): AsyncGenerator<Buffer> {
  for (const [index, chunk] of chunks.entries()) {
    // The original joined statements with newlines inside a chunk, and ran each chunk on its own.
    if (index > 0) yield Buffer.from('\n');
    const stages: NodeJS.ReadWriteStream[] = [];
    if (key) stages.push(new LegacyChunkOpener(key, true));
    if (entry.compressed) stages.push(decompressStream('zlib'));
    const output = new PassThrough({ highWaterMark: 1 << 20 });
    const decoding = pipeline([await getChunk(datastore, entry.name, chunk), ...stages, output] as never).catch((error: Error) => {
      if (error instanceof DumpFault) throw error;
      throw new DumpFault(`dump ${entry.name}, chunk ${chunk}: ${error instanceof LegacyAuthenticationError ? error.message : `cannot decompress (${error.message}): the chunk is damaged`}`, chunk);
    });
    decoding.catch(() => undefined);
    try {
      for await (const piece of output) yield piece as Buffer;
    } catch {
      // Reported by `decoding`, with the chunk's name.
    }
    await decoding;
  }
}

async function getChunk(datastore: Datastore, name: string, chunk: string): Promise<Readable> {
  return datastore.get(`${name}/${chunk}`).catch((error: unknown) => {
    throw new DumpFault(`dump ${name}, chunk ${chunk}: ${errorMessage(error)}`, chunk);
  });
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
