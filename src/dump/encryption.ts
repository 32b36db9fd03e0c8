import type { Transform } from 'node:stream';
import { ReplibyteError } from '../errors.js';

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
  decryptStream(context: ChunkContext): Transform;
  /** An authentication tag over the manifest's canonical bytes. */
  sealManifest(manifestBytes: Buffer): string;
  /** Throws a ReplibyteError when the tag does not match. */
  verifyManifest(manifestBytes: Buffer, tag: string): void;
}

export async function cipherForWriting(_passphrase: string): Promise<ChunkCipher> {
  throw new ReplibyteError('encryption_key is set, but this build cannot encrypt dumps yet');
}

export async function cipherForReading(
  _descriptor: Record<string, unknown>,
  _passphrase: string | undefined,
  dumpName: string,
): Promise<ChunkCipher> {
  throw new ReplibyteError(`dump ${dumpName} is encrypted, and this build cannot decrypt dumps yet`);
}
