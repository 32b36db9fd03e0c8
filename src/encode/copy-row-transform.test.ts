import fc from 'fast-check';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeCopyField, encodeCopyField } from './copy-text.js';
import type { ColumnTransform } from '../transformers/row-transform.js';
import { CopyRowTransform } from './copy-row-transform.js';

const COLUMNS = ['id', 'email', 'name', 'note', 'payload'];

async function run(text: string, transforms: ColumnTransform[], pieceSize: number, wideRowBytes?: number): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(bytes.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(new CopyRowTransform(COLUMNS, transforms, 'table t', wideRowBytes))) out.push(chunk as Buffer);
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

  it('rewrites wide rows (gathered field by field) to the same bytes, wherever the chunks cut them', async () => {
    const transforms: ColumnTransform[] = [
      { index: 3, apply: (v, row) => (v === null ? null : `<${v.length}>\t${row.get('payload') ?? ''}`) },
      { index: 1, apply: (v, row) => (v === null ? row.get('id') : null) },
    ];
    const wideValue = fc.oneof(value, fc.string({ unit: 'grapheme', minLength: 20, maxLength: 200 }));
    const wideRows = fc.array(fc.tuple(wideValue, wideValue, wideValue, wideValue, wideValue), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(wideRows, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 100 }), async (table, pieceSize, wideRowBytes) => {
        const input = text(table);
        expect(await run(input, transforms, pieceSize, wideRowBytes)).toBe(reference(input, transforms));
      }),
      { numRuns: 300 },
    );
  });

  it('names a wide row whose field count is wrong', async () => {
    const transforms: ColumnTransform[] = [{ index: 1, apply: (v) => v }];
    const long = 'x'.repeat(100);
    await expect(run(`1\ta\tb\tc\td\n2\t${long}\tb\n`, transforms, 7, 10)).rejects.toThrow('table t: row 2 has 3 fields, expected 5');
    await expect(run(`1\t${long}\tb\tc\td\te\n`, transforms, 7, 10)).rejects.toThrow('table t: row 1 has 6 fields, expected 5');
    await expect(run(`1\t${long}\tb\tc\td`, transforms, 7, 10)).rejects.toThrow('the last row has no end of line');
  });

  describe('cost of a row cut into many chunks', () => {
    afterEach(() => vi.restoreAllMocks());

    /** Bytes joined by Buffer.concat and searched by indexOf / lastIndexOf while `body` runs. */
    async function bytesTouched(body: () => Promise<unknown>): Promise<{ joined: number; searched: number }> {
      const touched = { joined: 0, searched: 0 };
      const concat = Buffer.concat.bind(Buffer);
      vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
        const joined = concat(list, length);
        touched.joined += joined.length;
        return joined;
      });
      const { indexOf, lastIndexOf } = Buffer.prototype;
      vi.spyOn(Buffer.prototype, 'indexOf').mockImplementation(function (this: Buffer, ...args: unknown[]) {
        const from = typeof args[1] === 'number' ? args[1] : 0;
        touched.searched += this.length - from;
        return indexOf.apply(this, args as Parameters<Buffer['indexOf']>);
      });
      vi.spyOn(Buffer.prototype, 'lastIndexOf').mockImplementation(function (this: Buffer, ...args: unknown[]) {
        touched.searched += this.length;
        return lastIndexOf.apply(this, args as Parameters<Buffer['lastIndexOf']>);
      });
      await body();
      return touched;
    }

    // A 4 MB row between small ones, in 16 KB chunks: joining the held row with every new chunk and
    // searching it again (as before) touched ~500 MB; a linear rewrite touches a few times the input.
    const input = `1\ta@b.c\tJo\t\\N\t{}\n2\ta@b.c\tJo\t${'y'.repeat(4 << 20)}\t{}\n3\ta@b.c\tJo\t\\N\t{}\n`;

    /** Runs the rewrite into a sink that only counts, so that the harness joins nothing itself. */
    async function rewriteCounting(transforms: ColumnTransform[]): Promise<number> {
      const bytes = Buffer.from(input, 'utf8');
      const pieces = Array.from({ length: Math.ceil(bytes.length / 16384) }, (_, i) => bytes.subarray(i * 16384, (i + 1) * 16384));
      let written = 0;
      for await (const chunk of Readable.from(pieces).pipe(new CopyRowTransform(COLUMNS, transforms, 'table t'))) written += (chunk as Buffer).length;
      return written;
    }

    it('joins no wide field a transform does not read, and searches each byte about once', async () => {
      const touched = await bytesTouched(() => rewriteCounting([{ index: 1, apply: (_v, row) => row.get('name') }]));
      expect(touched.joined).toBeLessThan(input.length / 2);
      expect(touched.searched).toBeLessThan(3 * input.length);
    });

    it('joins a wide field a transform reads once', async () => {
      const touched = await bytesTouched(() => rewriteCounting([{ index: 3, apply: (v) => String(v?.length) }]));
      expect(touched.joined).toBeLessThan(1.5 * input.length);
      expect(touched.searched).toBeLessThan(3 * input.length);
    });
  });
});
