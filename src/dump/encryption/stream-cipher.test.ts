import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, SEGMENT_BYTES, StreamFault, StreamOpener, StreamSealer, TAG_BYTES } from './stream-cipher.js';

const KEY = randomBytes(32);
const keyFor = () => KEY;
const SEALED = SEGMENT_BYTES + TAG_BYTES;

async function seal(plaintext: Buffer, pieceSize = 10_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < plaintext.length; i += pieceSize) pieces.push(plaintext.subarray(i, i + pieceSize));
  return buffer(Readable.from(pieces).pipe(new StreamSealer(keyFor)));
}

async function open(sealed: Buffer, pieceSize = 7_777, key = KEY): Promise<{ released: Buffer; error?: StreamFault }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += pieceSize) pieces.push(sealed.subarray(i, i + pieceSize));
  const opener = new StreamOpener(() => key);
  const released: Buffer[] = [];
  opener.on('data', (piece: Buffer) => released.push(piece));
  const done = new Promise<StreamFault | undefined>((resolve) => {
    opener.on('end', () => resolve(undefined));
    opener.on('error', (error) => resolve(error as StreamFault));
  });
  Readable.from(pieces).pipe(opener);
  const error = await done;
  return { released: Buffer.concat(released), ...(error && { error }) };
}

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
}

describe('STREAM over AES-256-GCM', () => {
  const plaintext = randomBytes(3 * SEGMENT_BYTES + 1234);

  it('round-trips any length, including empty and exact multiples of the segment size', async () => {
    for (const length of [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 2 * SEGMENT_BYTES, plaintext.length]) {
      const data = plaintext.subarray(0, length);
      const sealed = await seal(data);
      expect(sealed.length, `length ${length}`).toBe(HEADER_BYTES + Math.max(1, Math.ceil(length / SEGMENT_BYTES)) * TAG_BYTES + length);
      const { released, error } = await open(sealed);
      expect(error).toBeUndefined();
      expect(released.equals(data), `length ${length}`).toBe(true);
    }
  });

  it('never seals the same plaintext twice to the same bytes', async () => {
    const [a, b] = await Promise.all([seal(plaintext), seal(plaintext)]);
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
  });

  it('refuses a tampered header (magic or nonce) before releasing anything', async () => {
    const sealed = await seal(plaintext);
    const badMagic = await open(flip(sealed, 0));
    expect(badMagic.error?.message).toMatch(/bad magic/);
    // The nonce is the AAD of every segment: the first segment fails.
    const badNonce = await open(flip(sealed, 10));
    expect(badNonce.error?.message).toMatch(/segment 0 fails authentication/);
    expect(badNonce.released.length).toBe(0);
  });

  it('reports a flipped bit in a segment body or tag at that segment, after releasing only the segments before it', async () => {
    const sealed = await seal(plaintext);
    for (const segment of [0, 1, 3]) {
      const start = HEADER_BYTES + segment * SEALED;
      const end = Math.min(start + SEALED, sealed.length);
      for (const at of [start, start + 100, end - TAG_BYTES - 1, end - TAG_BYTES, end - 1]) {
        const { released, error } = await open(flip(sealed, at));
        expect(error, `byte ${at}`).toBeInstanceOf(StreamFault);
        expect(error!.message).toContain(`segment ${segment} fails authentication`);
        expect(error!.offset).toBe(start);
        expect(released.equals(plaintext.subarray(0, segment * SEGMENT_BYTES))).toBe(true);
      }
    }
  });

  it('refuses a stream cut at a segment boundary (the last-segment flag is missing)', async () => {
    const sealed = await seal(plaintext);
    for (const segments of [1, 2, 3]) {
      const { error } = await open(sealed.subarray(0, HEADER_BYTES + segments * SEALED));
      expect(error?.message, `${segments} segments`).toMatch(new RegExp(`segment ${segments - 1} fails authentication.*truncated`));
    }
    expect((await open(sealed.subarray(0, HEADER_BYTES + 5))).error?.message).toMatch(/last segment is missing/);
    expect((await open(sealed.subarray(0, 7))).error?.message).toMatch(/header/);
  });

  it('refuses a stream cut inside a segment, and one extended by an appended segment', async () => {
    const sealed = await seal(plaintext);
    expect((await open(sealed.subarray(0, sealed.length - 10))).error).toBeInstanceOf(StreamFault);
    const lastSegment = sealed.subarray(HEADER_BYTES + 3 * SEALED);
    const extended = await open(Buffer.concat([sealed, lastSegment]));
    expect(extended.error?.message).toMatch(/segment 3 fails authentication/);
  });

  it('refuses reordered segments and the wrong key', async () => {
    const sealed = await seal(plaintext);
    const s0 = sealed.subarray(HEADER_BYTES, HEADER_BYTES + SEALED);
    const s1 = sealed.subarray(HEADER_BYTES + SEALED, HEADER_BYTES + 2 * SEALED);
    const swapped = Buffer.concat([sealed.subarray(0, HEADER_BYTES), s1, s0, sealed.subarray(HEADER_BYTES + 2 * SEALED)]);
    expect((await open(swapped)).error?.message).toMatch(/segment 0 fails/);
    expect((await open(sealed, 7_777, randomBytes(32))).error?.message).toMatch(/segment 0 fails/);
  });
});
