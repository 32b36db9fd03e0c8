import type { Transform } from 'node:stream';
import { ReplibyteError } from '../errors.js';
import { StreamChunkCipher } from './encryption/stream-chunk-cipher.js';

/**
 * The seam between the dump format and its encryption (docs/format.md, "Encryption").
 * A ChunkCipher seals each chunk's bytes and authenticates the manifest.
 */
export interface ChunkContext {
  dumpId: string;
  /** 1-based chunk number across the whole dump. */
  sequence: number;
}

export interface ChunkCipher {
  /** Stored in manifest.encryption: the public parameters (KDF salt, algorithm), never the key. */
  readonly descriptor: Record<string, unknown>;
  encryptStream(context: ChunkContext): Transform;
  /** Fails with a StreamFault (its `offset` is the stored byte where the bad segment starts). */
  decryptStream(context: ChunkContext): Transform;
  /** An authentication tag over the manifest's canonical bytes (encryption/canonical-json.ts). */
  sealManifest(manifestBytes: Buffer): string;
  /** Throws a ReplibyteError when the tag does not match. */
  verifyManifest(manifestBytes: Buffer, tag: string): void;
}

export async function cipherForWriting(passphrase: string): Promise<ChunkCipher> {
  return StreamChunkCipher.forWriting(passphrase);
}

/** Refuses a missing or wrong key at once, before anything is read or any destination touched. */
export async function cipherForReading(
  descriptor: Record<string, unknown>,
  passphrase: string | undefined,
  dumpName: string,
): Promise<ChunkCipher> {
  if (!passphrase) {
    throw new ReplibyteError(`dump ${dumpName} is encrypted: set encryption_key in the config to read it`);
  }
  return StreamChunkCipher.forReading(descriptor, passphrase, dumpName);
}
