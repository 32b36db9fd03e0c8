import { describe, expect, it } from 'vitest';
import { remembered } from './fake-text.js';

function counting() {
  let calls = 0;
  const fakeOf = (value: string) => {
    calls += 1;
    return `fake(${value})`;
  };
  return { fakeOf, calls: () => calls };
}

describe('remembered', () => {
  it('returns what the transformer returns, and computes a repeated value once', () => {
    const { fakeOf, calls } = counting();
    const cached = remembered(fakeOf);
    for (let i = 0; i < 10_000; i += 1) expect(cached(`staff${i % 300}`)).toBe(`fake(staff${i % 300})`);
    expect(calls()).toBe(300);
  });

  it('never remembers long values', () => {
    const { fakeOf, calls } = counting();
    const cached = remembered(fakeOf);
    const long = 'x'.repeat(65);
    cached(long);
    cached(long);
    expect(calls()).toBe(2);
  });

  it('stops remembering on a column of distinct values, and tries again later', () => {
    const { fakeOf, calls } = counting();
    const cached = remembered(fakeOf);
    // One full round of distinct values (16,384) ends with no hits: the next 16 rounds skip the map.
    for (let i = 0; i <= 16_384; i += 1) cached(`user${i}`);
    const before = calls();
    for (let i = 0; i < 1000; i += 1) cached('repeated');
    expect(calls() - before).toBe(1000);
    // After the skipped stretch it remembers again.
    for (let i = 0; i < 16 * 16_384; i += 1) cached('repeated');
    const after = calls();
    for (let i = 0; i < 1000; i += 1) cached('repeated');
    expect(calls() - after).toBeLessThanOrEqual(1);
  });
});
