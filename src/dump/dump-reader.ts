import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Datastore } from '../datastores/datastore.js';
import { ReplibyteError } from '../errors.js';
import { ChunkVerifier } from './chunk-streams.js';
import { decompressStream } from './compression.js';
import type { ChunkCipher } from './encryption.js';
import type { Manifest, ManifestPart } from './manifest.js';

/**
 * Streams the raw bytes of a part back: chunks in manifest order, each checked against its size and
 * SHA-256, decrypted and decompressed. Errors name the dump, the chunk and the part.
 */
export async function* readPart(
  datastore: Datastore,
  manifest: Manifest,
  part: ManifestPart,
  cipher: ChunkCipher | undefined,
): AsyncGenerator<Buffer> {
  for (const chunk of part.chunks) {
    const where = `dump ${manifest.name}, chunk ${chunk.key} (${part.label})`;
    const stored = await datastore.get(`${manifest.name}/${chunk.key}`);
    const sequence = Number.parseInt(chunk.key, 10);
    const stages: NodeJS.ReadWriteStream[] = [new ChunkVerifier(chunk, where)];
    if (cipher) stages.push(cipher.decryptStream({ dumpId: manifest.id, sequence }));
    stages.push(decompressStream(manifest.compression));
    const output = new PassThrough({ highWaterMark: 1 << 20 });
    const decoding = pipeline([stored, ...stages, output] as never).catch(
      (error: Error) => {
        throw rename(error, where);
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

function rename(error: Error, where: string): Error {
  if (error instanceof ReplibyteError && error.message.startsWith('dump ')) return error;
  const detail = /zstd|incorrect header|unexpected end|invalid/i.test(error.message)
    ? `cannot decompress (${error.message}): the chunk is damaged`
    : error.message;
  return new ReplibyteError(`${where}: ${detail}`);
}
