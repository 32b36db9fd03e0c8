import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtinTransformers } from './builtin/index.js';
import { listRows } from './reference.js';
import { transformersDocument } from './reference-document.js';

describe('the transformer reference', () => {
  it('docs/transformers.md is what `npm run docs:transformers` writes (run it when this fails)', async () => {
    const current = await readFile(new URL('../../docs/transformers.md', import.meta.url), 'utf8');
    expect(current).toBe(transformersDocument(current));
  });

  it('lists every transformer with options and a worked example', () => {
    const rows = listRows(builtinTransformers());
    expect(rows.map((r) => r[0])).toContain('random-date');
    const email = rows.find((r) => r[0] === 'email')!;
    expect(email[3]).toMatch(/^"jane\.doe@acme\.com" → "[^"]+@[^"]+"$/);
    const redacted = rows.find((r) => r[0] === 'redacted')!;
    expect(redacted[2]).toBe('character?: string = "*", width?: integer = 10');
  });
});
