import { PassThrough } from 'node:stream';
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

function rename(error: Error, where: string, chunk: string): Error {
  if (error instanceof DumpFault) return error;
  if (error instanceof StreamFault) return new DumpFault(`${where}, byte offset ${error.offset}: ${error.message}`, chunk, error.offset);
  const detail = /zstd|incorrect header|unexpected end|invalid|unknown compression|check/i.test(error.message)
    ? `cannot decompress (${error.message}): the chunk is damaged`
    : error.message;
  return new DumpFault(`${where}: ${detail}`, chunk);
}
