import fc from 'fast-check';
import { availableParallelism } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { builtinTransformers } from '../transformers/builtin/index.js';
import type { ColumnInfo } from '../transformers/transformer.js';
import { encodeCopyField } from './copy-text.js';
import { buildColumnTransform } from '../transformers/column-transform.js';
import type { ColumnTransform, TransformRecipe, ValueTransform } from '../transformers/row-transform.js';
import { CopyRowTransform } from './copy-row-transform.js';
import { ParallelRowTransform, rowRewriteStream } from './parallel-row-transform.js';

// The worker runs dist/row-transform-worker.js, which the tests' global setup builds.
const COLUMNS = ['id', 'email', 'first_name', 'phone', 'payload'];
const salt = Buffer.from('parallel-test-salt');

function column(name: string, extra: Partial<ColumnInfo> = {}): ColumnInfo {
  return { schema: 'public', table: 'people', name, type: 'text', baseType: 'text', ...extra };
}

/** Built-in transforms exactly as the plan builds them: the function and the recipe a worker rebuilds it from. */
function planned(index: number, transformer: string, options: Record<string, unknown> = {}, info = column(COLUMNS[index]!)): ColumnTransform {
  const definition = builtinTransformers().get(transformer)!;
  const parsed = definition.options.parse(options);
  const context = { column: info, salt, tableColumns: COLUMNS, transformOf: () => undefined };
  return { index, apply: definition.create(parsed, context), recipe: { transformer, options: parsed, column: info, tableColumns: COLUMNS, salt } };
}

const TRANSFORMS = [planned(1, 'email'), planned(2, 'first-name'), planned(3, 'redacted'), planned(4, 'json', { paths: [{ path: 'name', transformer_name: 'full-name' }] })];

async function rewrite(stream: NodeJS.ReadWriteStream, input: string, pieceSize: number): Promise<string> {
  const bytes = Buffer.from(input, 'utf8');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(bytes.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), stream, new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }));
  return Buffer.concat(out).toString('utf8');
}

const value = fc.oneof(fc.constant(null), fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('a\tb', 'line\nbreak', 'back\\slash', '\\N', 'héllo ✓'));
const json = fc.oneof(fc.constant(null), fc.string({ maxLength: 8 }).map((name) => JSON.stringify({ name, tags: ['a\tb'] })));
const rows = fc.array(fc.tuple(fc.nat(), value, value, value, json), { minLength: 1, maxLength: 400 });
const text = (table: Array<[number, ...Array<string | null>]>) => table.map(([id, ...rest]) => `${[String(id), ...rest].map(encodeCopyField).join('\t')}\n`).join('');

describe('ParallelRowTransform', () => {
  const saved = process.env.REPLIBYTE_TRANSFORM_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.REPLIBYTE_TRANSFORM_THREADS;
    else process.env.REPLIBYTE_TRANSFORM_THREADS = saved;
  });

  it('writes byte for byte what the one-thread rewrite writes, over any piece boundaries and worker counts', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 3 }), async (table, pieceSize, threads) => {
        const input = text(table);
        const expected = await rewrite(new CopyRowTransform(COLUMNS, TRANSFORMS, 'table people'), input, pieceSize);
        process.env.REPLIBYTE_TRANSFORM_THREADS = String(threads);
        const stream = rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0);
        expect(stream).toBeInstanceOf(ParallelRowTransform);
        expect(await rewrite(stream, input, pieceSize)).toBe(expected);
      }),
      { numRuns: 12 },
    );
  });

  it('runs conditions, options read from the row and templates on the workers as on this thread', async () => {
    const kinds = Object.fromEntries(COLUMNS.map((name) => [name, name === 'id' ? ('number' as const) : ('text' as const)]));
    const byColumn = new Map<string, ValueTransform>();
    const build = (index: number, transformer: string, options: Record<string, unknown>, extra: Partial<TransformRecipe>): ColumnTransform => {
      const info = column(COLUMNS[index]!);
      const definition = builtinTransformers().get(transformer)!;
      const recipe: TransformRecipe = { transformer, options: extra.rowOptions ? options : definition.options.parse(options), column: info, tableColumns: COLUMNS, salt, kinds, ...extra };
      const apply = buildColumnTransform(definition, recipe, { column: info, salt, tableColumns: COLUMNS, transformOf: (name) => byColumn.get(name) });
      byColumn.set(info.name, apply);
      return { index, apply, recipe };
    };
    const transforms = [
      build(2, 'first-name', {}, { when: "id > 100 and phone not like '+33%'" }),
      build(1, 'email', { first_name: { transformed: 'first_name' } }, { rowOptions: true }),
      build(3, 'template', { template: '{{first_name}}-{{id}}' }, { when: 'phone is not null' }),
    ];
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i}	user${i}@example.com	Name${i % 977}	${i % 3 === 0 ? '+33 1' : i % 3 === 1 ? '\\N' : '+1-555'}	\\N\n`).join('');
    const expected = await rewrite(new CopyRowTransform(COLUMNS, transforms, 'table people'), lines, 65536);
    // The condition held on some rows and not on others.
    const out = expected.split('\n');
    expect(out[5]!.split('\t')[2]).toBe('Name5');
    expect(out[101]!.split('\t')[2]).not.toBe('Name101');
    expect(out[102]!.split('\t')[2]).toBe('Name102'); // +33
    expect(out[101]!.split('\t')[3]).toBe(`${out[101]!.split('\t')[2]}-101`);
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    const stream = rowRewriteStream(COLUMNS, transforms, 'table people', 0);
    expect(stream).toBeInstanceOf(ParallelRowTransform);
    expect(await rewrite(stream, lines, 65536)).toBe(expected);
  });

  it('keeps order and content over many batches (several MB through two workers)', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `${i}\tuser${i}@example.com\tName${i % 977}\t+1-555-${i}\t{"name": "N${i}"}\n`).join('');
    const expected = await rewrite(new CopyRowTransform(COLUMNS, TRANSFORMS, 'table people'), lines, 65536);
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    expect(await rewrite(rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0), lines, 65536)).toBe(expected);
  });

  it('names the row whose field count is wrong, counted across batches', async () => {
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    const good = Array.from({ length: 20_000 }, (_, i) => `${i}\ta@b.c\tJo\t1\t\\N\n`).join('');
    const stream = rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0);
    await expect(rewrite(stream, `${good}20000\ta@b.c\tJo\n`, 4096)).rejects.toThrow('table people: row 20001 has 3 fields, expected 5');
  });

  it('refuses a last row without its end of line', async () => {
    process.env.REPLIBYTE_TRANSFORM_THREADS = '1';
    await expect(rewrite(rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0), '1\ta\tb\tc\t\\N\n2\ta\tb', 1000)).rejects.toThrow('table people: the last row has no end of line');
  });

  it('stays on this thread for small tables, when switched off, and for transformers a worker cannot rebuild', () => {
    delete process.env.REPLIBYTE_TRANSFORM_THREADS;
    expect(rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 10)).toBeInstanceOf(CopyRowTransform);
    // A large table uses workers where there are more than two cores (decision 0010).
    const large = rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 1_000_000);
    expect(large).toBeInstanceOf(availableParallelism() > 2 ? ParallelRowTransform : CopyRowTransform);
    large.destroy();
    process.env.REPLIBYTE_TRANSFORM_THREADS = '0';
    expect(rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 1_000_000)).toBeInstanceOf(CopyRowTransform);
    process.env.REPLIBYTE_TRANSFORM_THREADS = '2';
    const custom: ColumnTransform = { ...planned(2, 'first-name'), recipe: { ...planned(2, 'first-name').recipe!, transformer: 'custom' } };
    expect(rowRewriteStream(COLUMNS, [...TRANSFORMS.slice(0, 1), custom], 'table people', 1_000_000)).toBeInstanceOf(CopyRowTransform);
    const handMade: ColumnTransform = { index: 1, apply: (v) => v };
    expect(rowRewriteStream(COLUMNS, [handMade], 'table people', 1_000_000)).toBeInstanceOf(CopyRowTransform);
  });

  it('takes no more input while its workers are full: a stalled consumer stalls the reader', async () => {
    process.env.REPLIBYTE_TRANSFORM_THREADS = '1';
    const stream = rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0);
    const line = Buffer.from('1\tuser@example.com\tJo\t+1\t\\N\n');
    const chunk = Buffer.concat(Array.from({ length: 2000 }, () => line)); // ≈ 56 KB
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1,
      read() {
        if (produced >= 2000) return void this.push(null); // bounded: 2000 chunks ≈ 110 MB at most
        produced += 1;
        this.push(chunk);
      },
    });
    source.pipe(stream); // nobody reads the output
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Two batches in flight, one being cut, the writable and readable buffers: a few MB, not the 110 MB on offer.
    expect(produced * chunk.length).toBeLessThan(8 * 1024 * 1024);
    source.destroy();
    stream.destroy();
  });

  it('joins a row wider than a batch once, not again with every chunk (linear, not quadratic)', async () => {
    process.env.REPLIBYTE_TRANSFORM_THREADS = '1';
    const input = `1\ta@b.c\tJo\t1\t\\N\n2\ta@b.c\tJo\t${'9'.repeat(4 << 20)}\t\\N\n3\ta@b.c\tJo\t1\t\\N\n`;
    const expected = await rewrite(new CopyRowTransform(COLUMNS, TRANSFORMS, 'table people'), input, 16 * 1024);
    let joined = 0;
    const concat = Buffer.concat.bind(Buffer);
    const spy = vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const out = concat(list, length);
      joined += out.length;
      return out;
    });
    try {
      expect(await rewrite(rowRewriteStream(COLUMNS, TRANSFORMS, 'table people', 0), input, 16 * 1024)).toBe(expected);
    } finally {
      spy.mockRestore();
    }
    // Joining the held row with each 16 KB chunk, as before, joined ~550 MB.
    expect(joined).toBeLessThan(3 * input.length);
  });
});
