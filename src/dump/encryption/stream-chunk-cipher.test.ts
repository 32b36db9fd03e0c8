import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { manifestSigningBytes } from './canonical-json.js';
import { StreamChunkCipher } from './stream-chunk-cipher.js';

const ID = 'a'.repeat(32);

async function through(stream: NodeJS.ReadWriteStream, data: Buffer): Promise<Buffer> {
  return buffer(Readable.from([data]).pipe(stream));
}

describe('encryption version 1 (StreamChunkCipher)', () => {
  it('describes its parameters without the key, and reads back with the same passphrase only', async () => {
    const writer = await StreamChunkCipher.forWriting('the passphrase');
    const descriptor = writer.descriptor;
    expect(JSON.stringify(descriptor)).not.toContain('the passphrase');
    expect(descriptor).toMatchObject({ scheme: 'replibyte-stream-aes256gcm', version: 1, kdf: { name: 'scrypt', N: 32768, r: 8, p: 1 } });
    const reader = await StreamChunkCipher.forReading(descriptor, 'the passphrase', 'd1');
    const plaintext = randomBytes(200_000);
    const sealed = await through(writer.encryptStream({ dumpId: ID, sequence: 3 }), plaintext);
    expect((await through(reader.decryptStream({ dumpId: ID, sequence: 3 }), sealed)).equals(plaintext)).toBe(true);
    await expect(StreamChunkCipher.forReading(descriptor, 'the passphrase!', 'd1')).rejects.toThrow(/^wrong encryption key for dump d1$/);
  });

  it('binds each chunk to its dump and its position', async () => {
    const cipher = await StreamChunkCipher.forWriting('k');
    const sealed = await through(cipher.encryptStream({ dumpId: ID, sequence: 1 }), Buffer.from('row\n'));
    await expect(through(cipher.decryptStream({ dumpId: ID, sequence: 2 }), sealed)).rejects.toThrow(/segment 0 fails authentication/);
    await expect(through(cipher.decryptStream({ dumpId: 'b'.repeat(32), sequence: 1 }), sealed)).rejects.toThrow(/segment 0 fails authentication/);
  });

  it('refuses an unknown version and costly KDF parameters', async () => {
    const { descriptor } = await StreamChunkCipher.forWriting('k');
    await expect(StreamChunkCipher.forReading({ ...descriptor, version: 2 }, 'k', 'd')).rejects.toThrow(/encryption version 2.*reads version 1/);
    const kdf = descriptor.kdf as Record<string, unknown>;
    await expect(StreamChunkCipher.forReading({ ...descriptor, kdf: { ...kdf, N: 2 ** 24 } }, 'k', 'd')).rejects.toThrow(/malformed at kdf.N/);
  });

  it('authenticates the manifest over canonical bytes: key order does not matter, any change does', async () => {
    const cipher = await StreamChunkCipher.forWriting('k');
    const manifest = { name: 'd', parts: [{ label: 'x', chunks: [{ key: '000001.chunk' }, { key: '000002.chunk' }] }], encryption: { scheme: 's' } };
    const tag = cipher.sealManifest(manifestSigningBytes(manifest));
    const reordered = { encryption: { manifestTag: tag, scheme: 's' }, parts: manifest.parts, name: 'd' };
    expect(() => cipher.verifyManifest(manifestSigningBytes(reordered), tag)).not.toThrow();
    const swapped = structuredClone(reordered);
    swapped.parts[0]!.chunks.reverse();
    expect(() => cipher.verifyManifest(manifestSigningBytes(swapped), tag)).toThrow(/manifest fails authentication/);
  });
});
