import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedDigester } from './keyed-digest.js';

function nodeHmac(key: Buffer, parts: readonly string[]): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(`${part}\u0000`);
  return hmac.digest('hex');
}

describe('KeyedDigester', () => {
  it('is HMAC-SHA256 bit for bit, on random keys and unicode parts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 80 }), { maxLength: 4 }), (key, parts) => {
        const buffer = Buffer.from(key);
        expect(new KeyedDigester(buffer).digest(parts).toString('hex')).toBe(nodeHmac(buffer, parts));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees at every padding boundary and past the fast path', () => {
    const key = Buffer.from('salt');
    const digester = new KeyedDigester(key);
    // 55/56 bytes: the last message length that fits one block with its padding, and the first that does not.
    for (const length of [0, 1, 53, 54, 55, 56, 62, 63, 64, 118, 119, 120, 2700, 2800, 9000, 100_000]) {
      const part = 'x'.repeat(length);
      expect(digester.digest([part]).toString('hex'), `length ${length}`).toBe(nodeHmac(key, [part]));
    }
  });

  it('does not let one digest leak into the next (shared scratch space)', () => {
    const key = Buffer.from('k');
    const digester = new KeyedDigester(key);
    const long = digester.digest(['y'.repeat(300)]).toString('hex');
    const short = digester.digest(['a']).toString('hex');
    expect(short).toBe(nodeHmac(key, ['a']));
    expect(long).toBe(nodeHmac(key, ['y'.repeat(300)]));
  });
});
