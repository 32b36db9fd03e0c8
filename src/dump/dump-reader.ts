import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Datastore } from '../datastores/datastore.js';
import { errorMessage } from '../errors.js';
import { ChunkVerifier } from './chunk-streams.js';
import { decompressStream } from './compression.js';
import { DumpFault } from './dump-fault.js';
import type { ChunkCipher } from './encryption.js';
import { StreamFault } from './encryption/stream-cipher.js';
import type { Manifest, ManifestPart } from './manifest.js';

/**
 * Streams the raw bytes of a part back: chunks in manifest order, each checked against its size and
 * SHA-256, decrypted and decompressed. Errors are DumpFaults naming the dump, the chunk, the part and,
 * when known, the byte offset in the stored chunk.
 */
export async function* readPart(
  datastore: Datastore,
  manifest: Manifest,
  part: ManifestPart,
  cipher: ChunkCipher | undefined,
): AsyncGenerator<Buffer> {
  for (const chunk of part.chunks) {
    const where = `dump ${manifest.name}, chunk ${chunk.key} (${part.label})`;
    const stored = await datastore.get(`${manifest.name}/${chunk.key}`).catch((error: unknown) => {
      throw new DumpFault(`${where}: ${errorMessage(error).includes('missing') ? 'the chunk is missing from the datastore' : errorMessage(error)}`, chunk.key);
    });
    const sequence = Number.parseInt(chunk.key, 10);
    const verifier = new ChunkVerifier(chunk, where);
    const stages: NodeJS.ReadWriteStream[] = [verifier];
    if (cipher) stages.push(cipher.decryptStream({ dumpId: manifest.id, sequence }));
    stages.push(decompressStream(manifest.compression));
    const output = new PassThrough({ highWaterMark: 1 << 20 });
    const decoding = pipeline([stored, ...stages, output] as never).then(
      () => {
        if (verifier.failure) throw verifier.failure;
      },
      (error: Error) => {
        throw verifier.sizeFailure ?? rename(error, where, chunk.key);
      },
    );
    decoding.catch(() => undefined);
    try {
      for await (const piece of output) yield piece as Buffer;
    } catch {
      // The pipeline destroyed `output` with its own error; report that one, with its place.
    }
    await decoding;
  }
}

/**
 * Reads every chunk of a dump once, checking its size and SHA-256 against the manifest, without
 * decrypting or decompressing it: the first pass of a restore that cannot take back what it commits
 * (docs/decisions/0012-check-chunks-before-a-restore-that-commits-as-it-goes.md). An encrypted dump's manifest is
 * authenticated by its tag, so a chunk that matches the SHA-256 it lists is authenticated too.
 */
export async function verifyStoredChunks(datastore: Datastore, manifest: Manifest): Promise<void> {
  for (const part of manifest.parts) {
    for (const chunk of part.chunks) {
      const where = `dump ${manifest.name}, chunk ${chunk.key} (${part.label})`;
      const stored = await datastore.get(`${manifest.name}/${chunk.key}`).catch((error: unknown) => {
        throw new DumpFault(`${where}: ${errorMessage(error).includes('missing') ? 'the chunk is missing from the datastore' : errorMessage(error)}`, chunk.key);
      });
      const verifier = new ChunkVerifier(chunk, where);
      await pipeline(stored, verifier, discard()).catch((error: unknown) => {
        throw new DumpFault(`${where}: ${errorMessage(error)}`, chunk.key);
      });
      if (verifier.failure) throw verifier.failure;
    }
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

function rename(error: Error, where: string, chunk: string): Error {
  if (error instanceof DumpFault) return error;
  if (error instanceof StreamFault) return new DumpFault(`${where}, byte offset ${error.offset}: ${error.message}`, chunk, error.offset);
  const detail = /zstd|incorrect header|unexpected end|invalid|unknown compression|check/i.test(error.message)
    ? `cannot decompress (${error.message}): the chunk is damaged`
    : error.message;
  return new DumpFault(`${where}: ${detail}`, chunk);
}
