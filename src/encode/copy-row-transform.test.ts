import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeCopyField, encodeCopyField } from './copy-text.js';
import type { ColumnTransform } from '../transformers/row-transform.js';
import { CopyRowTransform } from './copy-row-transform.js';

const COLUMNS = ['id', 'email', 'name', 'note', 'payload'];

async function run(text: string, transforms: ColumnTransform[], pieceSize: number): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(bytes.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(new CopyRowTransform(COLUMNS, transforms, 'table t'))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString('utf8');
}

/** The obvious implementation: every field decoded, the transformed ones replaced, the row joined again. */
function reference(text: string, transforms: ColumnTransform[]): string {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const fields = line.split('\t');
      const row = { get: (name: string) => decodeCopyField(fields[COLUMNS.indexOf(name)]!) };
      const results = transforms.map((t) => t.apply(decodeCopyField(fields[t.index]!), row));
      transforms.forEach((t, i) => (fields[t.index] = encodeCopyField(results[i]!)));
      return `${fields.join('\t')}\n`;
    })
    .join('');
}

const value = fc.oneof(fc.constant(null), fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('a\tb', 'line\nbreak', 'back\\slash', '\\N', 'héllo ✓'));
const rows = fc.array(fc.tuple(value, value, value, value, value), { minLength: 1, maxLength: 30 });
const text = (table: Array<Array<string | null>>) => table.map((row) => `${row.map(encodeCopyField).join('\t')}\n`).join('');

describe('CopyRowTransform', () => {
  it('rewrites exactly the transformed fields, whatever the values and the piece boundaries', async () => {
    const transforms: ColumnTransform[] = [
      // Out of column order on purpose; one reads another column of the original row.
      { index: 3, apply: (v, row) => (v === null ? null : `${row.get('email') ?? 'none'}|${v}`) },
      { index: 1, apply: (v) => (v === null ? null : `x\t${v.length}\n`) },
      { index: 4, apply: () => null },
    ];
    await fc.assert(
      fc.asyncProperty(rows, fc.integer({ min: 1, max: 64 }), async (table, pieceSize) => {
        const input = text(table);
        expect(await run(input, transforms, pieceSize)).toBe(reference(input, transforms));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the first and the last column alone when only a middle one changes', async () => {
    const out = await run('1\ta@b.c\tJane\t\\N\t{"k": "v\\\\tx"}\n', [{ index: 2, apply: () => 'Otto' }], 1000);
    expect(out).toBe('1\ta@b.c\tOtto\t\\N\t{"k": "v\\\\tx"}\n');
  });

  it('names the row whose field count is wrong', async () => {
    await expect(run('1\ta\tb\tc\td\n2\ta\tb\n', [{ index: 1, apply: (v) => v }], 1000)).rejects.toThrow('table t: row 2 has 3 fields, expected 5');
  });

  it('refuses data that ends in the middle of a row', async () => {
    await expect(run('1\ta\tb\tc\td\n2\ta', [{ index: 1, apply: (v) => v }], 1000)).rejects.toThrow('the last row has no end of line');
  });
});
