import type { Transform } from 'node:stream';
import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import type { ChunkCipher, ChunkContext } from '../encryption.js';
import { kdfSchema, KeySchedule, newKdfParameters, type KdfParameters } from './key-schedule.js';
import { SEGMENT_BYTES, StreamOpener, StreamSealer } from './stream-cipher.js';

export const ENCRYPTION_SCHEME = 'replibyte-stream-aes256gcm';
export const ENCRYPTION_VERSION = 1;

/** manifest.encryption, as docs/format.md describes it. */
const descriptorSchema = z.object({
  scheme: z.literal(ENCRYPTION_SCHEME),
  version: z.number().int(),
  kdf: kdfSchema,
  segmentSize: z.literal(SEGMENT_BYTES),
  keyCheck: z.string().regex(/^[0-9a-f]{32}$/),
  manifestTag: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

/** Encryption version 1: scrypt → HKDF → per-chunk STREAM over AES-256-GCM, and an HMAC over the manifest. */
export class StreamChunkCipher implements ChunkCipher {
  readonly descriptor: Record<string, unknown>;

  constructor(
    private readonly keys: KeySchedule,
    kdf: KdfParameters,
  ) {
    this.descriptor = { scheme: ENCRYPTION_SCHEME, version: ENCRYPTION_VERSION, kdf, segmentSize: SEGMENT_BYTES, keyCheck: keys.keyCheck };
  }

  static async forWriting(passphrase: string): Promise<StreamChunkCipher> {
    const kdf = newKdfParameters();
    return new StreamChunkCipher(await KeySchedule.derive(passphrase, kdf), kdf);
  }

  /** Checks the descriptor and the key before anything is read: a wrong key is reported here, at once. */
  static async forReading(descriptor: Record<string, unknown>, passphrase: string, dumpName: string): Promise<StreamChunkCipher> {
    if (descriptor.scheme === ENCRYPTION_SCHEME && typeof descriptor.version === 'number' && descriptor.version !== ENCRYPTION_VERSION) {
      throw new ReplibyteError(
        `dump ${dumpName} uses encryption version ${descriptor.version}; this replibyte reads version ${ENCRYPTION_VERSION}`,
        'upgrade replibyte',
      );
    }
    const parsed = descriptorSchema.safeParse(descriptor);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ReplibyteError(`dump ${dumpName}: manifest.encryption is malformed at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`);
    }
    const keys = await KeySchedule.derive(passphrase, parsed.data.kdf);
    if (!keys.checks(parsed.data.keyCheck)) {
      throw new ReplibyteError(`wrong encryption key for dump ${dumpName}`, 'encryption_key must be the one the dump was created with');
    }
    return new StreamChunkCipher(keys, parsed.data.kdf);
  }

  encryptStream(context: ChunkContext): Transform {
    return new StreamSealer((nonce) => this.keys.chunkKey(context.dumpId, context.sequence, nonce));
  }

  decryptStream(context: ChunkContext): Transform {
    return new StreamOpener((nonce) => this.keys.chunkKey(context.dumpId, context.sequence, nonce));
  }

  sealManifest(manifestBytes: Buffer): string {
    return this.keys.manifestTag(manifestBytes);
  }

  verifyManifest(manifestBytes: Buffer, tag: string): void {
    if (!this.keys.manifestTagMatches(manifestBytes, tag)) {
      throw new ReplibyteError('the manifest fails authentication: it was altered after it was written');
    }
  }
}
