import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiteralKind } from '../../engines/mysql/column-types.js';
import type { ColumnTransform } from '../../transformers/row-transform.js';
import { ByteBuilder } from './byte-builder.js';
import { InsertBatcher } from './insert-batcher.js';
import { RowPacketEncoder } from './row-packet-encoder.js';
import { textOf, writeLiteral, writeQuoted, writeText } from './sql-literal.js';

/** A row as MySQL's text protocol sends it: each value a length-coded string, NULL as 0xFB. */
function packet(values: Array<Buffer | null>): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    if (value === null) parts.push(Buffer.from([0xfb]));
    else if (value.length < 0xfb) parts.push(Buffer.from([value.length]), value);
    else if (value.length < 1 << 16) parts.push(Buffer.from([0xfc, value.length & 0xff, value.length >> 8]), value);
    else if (value.length < 1 << 24) parts.push(Buffer.from([0xfd, value.length & 0xff, (value.length >> 8) & 0xff, value.length >> 16]), value);
    else {
      const length = Buffer.alloc(9);
      length[0] = 0xfe;
      length.writeUInt32LE(value.length, 1);
      parts.push(length, value);
    }
  }
  return Buffer.concat(parts);
}

/** The tuple as the row encoder before it wrote it, from the driver's Buffers: the reference. */
function reference(kinds: LiteralKind[], values: Array<Buffer | null>, transforms: ColumnTransform[], columns: string[]): Buffer {
  const out = new ByteBuilder();
  const row = { get: (column: string) => textOf(kinds[columns.indexOf(column)]!, values[columns.indexOf(column)]!) };
  const results = transforms.map((t) => t.apply(textOf(kinds[t.index]!, values[t.index]!), row));
  out.byte(0x28);
  values.forEach((value, i) => {
    if (i > 0) out.byte(0x2c);
    const at = transforms.findIndex((t) => t.index === i);
    if (at >= 0) writeText(out, kinds[i]!, results[at]!);
    else writeLiteral(out, kinds[i]!, value);
  });
  out.byte(0x29);
  return out.take();
}

function encodeAll(columns: string[], kinds: LiteralKind[], rows: Array<Array<Buffer | null>>, transforms: ColumnTransform[], maxStatementBytes?: number): string {
  const batcher = new InsertBatcher('t', columns, maxStatementBytes);
  const encoder = new RowPacketEncoder('t', columns, kinds, transforms);
  const pieces: Buffer[] = [];
  for (const values of rows) {
    // Inside a larger buffer, as a packet sits in a socket chunk.
    const bytes = Buffer.concat([Buffer.from('junk'), packet(values), Buffer.from('more')]);
    pieces.push(...encoder.encode(bytes, 4, bytes.length - 4, batcher));
  }
  pieces.push(...batcher.finish());
  return Buffer.concat(pieces).toString('latin1');
}

function referenceAll(columns: string[], kinds: LiteralKind[], rows: Array<Array<Buffer | null>>, transforms: ColumnTransform[], maxStatementBytes?: number): string {
  const batcher = new InsertBatcher('t', columns, maxStatementBytes);
  const pieces: Buffer[] = [];
  for (const values of rows) {
    pieces.push(...batcher.add(reference(kinds, values, transforms, columns)));
  }
  pieces.push(...batcher.finish());
  return Buffer.concat(pieces).toString('latin1');
}

const b = (text: string) => Buffer.from(text, 'utf8');
const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('RowPacketEncoder', () => {
  const columns = ['id', 'name', 'price', 'blob', 'note'];
  const kinds: LiteralKind[] = ['number', 'string', 'number', 'hex', 'string'];
  const rows: Array<Array<Buffer | null>> = [
    [b('1'), b("it's \\ \"quoted\"\n\r\0\x1a; ☃ 𝄞"), b('-12.50'), every, null],
    [b('2'), b(''), null, Buffer.alloc(0), b('x'.repeat(300))],
    [b('3'), null, b('1e-5'), Buffer.from('00ff', 'hex'), b('y'.repeat(70_000))],
    [b('18446744073709551615'), b('plain'), b('0'), null, Buffer.concat([every, every])],
  ];

  it('writes the tuples writeLiteral writes, for every length coding, NULL, empty, escapes and binary', () => {
    expect(encodeAll(columns, kinds, rows, [])).toBe(referenceAll(columns, kinds, rows, []));
  });

  it('writes what transformers return, and lets them read the original row', () => {
    const transforms: ColumnTransform[] = [
      { index: 1, apply: (value, row) => (value === null ? null : `${row.get('id')}:${row.get('note')?.length ?? 'none'}:'${value.length}`) },
      { index: 3, apply: (value) => (value === null ? null : `\\x${'ab'.repeat(3)}`) },
      { index: 4, apply: (_value, row) => row.get('name') },
    ];
    const encoded = encodeAll(columns, kinds, rows, transforms);
    expect(encoded).toBe(referenceAll(columns, kinds, rows, transforms));
    expect(encoded).toContain("(1,'1:none:\\'");
    expect(encoded).toContain('0xababab');
  });

  it('cuts statements before the bound, and a row larger than the bound gets a statement of its own', () => {
    const many = Array.from({ length: 500 }, (_, i) => [b(String(i)), b(`name ${i}`), b('1.5'), null, i === 250 ? b('z'.repeat(5000)) : null]);
    const encoded = encodeAll(columns, kinds, many, [], 2000);
    const statements = encoded.split(';\n').filter((s) => s.length > 0);
    for (const statement of statements) if (!statement.includes('zzzz')) expect(statement.length).toBeLessThanOrEqual(2000);
    expect(statements.find((s) => s.includes('zzzz'))!.split('\n')).toHaveLength(1);
    expect(encoded.split('\n').length - 1).toBe(500); // one newline per row
  });

  it('refuses a row with fewer or more values than columns', () => {
    const encoder = new RowPacketEncoder('t', ['a', 'b'], ['number', 'number'], []);
    const batcher = new InsertBatcher('t', ['a', 'b']);
    const short = packet([b('1')]);
    expect(() => encoder.encode(short, 0, short.length, batcher)).toThrow('fewer values');
    const long = packet([b('1'), b('2'), b('3')]);
    expect(() => encoder.encode(long, 0, long.length, batcher)).toThrow('more values');
  });
});

/** mysql_real_escape_string's escapes, byte by byte: what a quoted value must be. */
function referenceQuoted(value: Buffer): Buffer {
  const escapes: Record<number, number> = { 0x00: 0x30, 0x0a: 0x6e, 0x0d: 0x72, 0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x1a: 0x5a };
  const out: number[] = [0x27];
  for (const byte of value) {
    if (escapes[byte] !== undefined) out.push(0x5c, escapes[byte]);
    else out.push(byte);
  }
  out.push(0x27);
  return Buffer.from(out);
}

/** Bytes copied by Buffer#copy and joined by Buffer.concat while `body` runs. */
function bytesCopied<T>(body: () => T): { result: T; copied: number } {
  let copied = 0;
  const { copy } = Buffer.prototype;
  const concat = Buffer.concat.bind(Buffer);
  const copySpy = vi.spyOn(Buffer.prototype, 'copy').mockImplementation(function (this: Buffer, ...args: unknown[]) {
    const n = copy.apply(this, args as Parameters<Buffer['copy']>);
    copied += n;
    return n;
  });
  const concatSpy = vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
    const joined = concat(list, length);
    copied += joined.length;
    return joined;
  });
  try {
    return { result: body(), copied };
  } finally {
    copySpy.mockRestore();
    concatSpy.mockRestore();
  }
}

describe('RowPacketEncoder and wide values', () => {
  afterEach(() => vi.restoreAllMocks());

  /** The pieces of the part that the row `(1,<value>)` in `bytes` (its packet) makes. */
  function encodeWide(bytes: Buffer): Buffer[] {
    const batcher = new InsertBatcher('t', ['id', 'body']);
    const encoder = new RowPacketEncoder('t', ['id', 'body'], ['number', 'string'], []);
    return [...encoder.encode(bytes, 0, bytes.length, batcher), ...batcher.finish()];
  }

  const escapable = fc.constantFrom(0x00, 0x0a, 0x0d, 0x5c, 0x27, 0x22, 0x1a, 0x41, 0xc3, 0xa9);
  const values = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.array(escapable, { maxLength: 600 }),
    // Long runs between escapes, across the 256-byte switch to native searches and the 64 KB one to views.
    fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 199_999 }), escapable), { maxLength: 30 })).map(([length, marks]) => {
      const bytes = new Uint8Array(length).fill(0x61);
      for (const [at, byte] of marks) if (at < length) bytes[at] = byte;
      return bytes;
    }),
  );

  it('quotes a value byte for byte as mysql_real_escape_string does, in either kind of builder', () => {
    fc.assert(
      fc.property(values, fc.boolean(), (bytes, pieces) => {
        const value = Buffer.from(bytes);
        const out = new ByteBuilder(16, { pieces });
        writeQuoted(out, value);
        expect(out.take().equals(referenceQuoted(value))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the same part as writeLiteral for wide values: clean, escaped, binary', () => {
    const columns = ['id', 'name', 'price', 'blob', 'note'];
    const kinds: LiteralKind[] = ['number', 'string', 'number', 'hex', 'string'];
    const wide = [
      [b('1'), b('x'.repeat(2 << 20)), null, Buffer.alloc(200_000, 0x27), b('ok')],
      [b('2'), Buffer.from('a\n\'b'.repeat(100_000)), b('3'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256)), b('z'.repeat(70_000))],
    ];
    expect(encodeAll(columns, kinds, wide, [])).toBe(referenceAll(columns, kinds, wide, []));
  });

  it('writes a long blob as 0x and its hexadecimal digits, in slices (never one string)', () => {
    const blob = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
    const out = new ByteBuilder();
    writeLiteral(out, 'hex', blob);
    expect(out.take().toString('latin1')).toBe(`0x${blob.toString('hex')}`);
  });

  it('passes a 4 MB value without escapes on as a view of the row packet: almost nothing is copied', () => {
    const value = Buffer.alloc(4 << 20, 'y');
    const bytes = packet([b('1'), value]);
    const { result: pieces, copied } = bytesCopied(() => encodeWide(bytes));
    expect(Buffer.concat(pieces).toString()).toBe(`INSERT INTO \`t\` (\`id\`,\`body\`) VALUES (1,'${value.toString()}');\n`);
    expect(pieces.some((piece) => piece.buffer === bytes.buffer && piece.length === value.length)).toBe(true);
    // Before, the value was copied into the batcher's buffer, doubled from 512 KB to 8 MB on the way.
    expect(copied).toBeLessThan(4096);
  });

  it('escapes a 4 MB value full of escapes once, into pieces of at most about 1 MB', () => {
    const value = Buffer.from('line\n'.repeat(800_000));
    const bytes = packet([b('1'), value]);
    const { result: pieces, copied } = bytesCopied(() => encodeWide(bytes));
    const expected = Buffer.concat([Buffer.from('INSERT INTO `t` (`id`,`body`) VALUES (1,'), referenceQuoted(value), Buffer.from(');\n')]);
    expect(Buffer.concat(pieces).equals(expected)).toBe(true);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThanOrEqual(1 << 20);
    // Each byte is written once, straight into the pieces: the buffer never grows by copying itself.
    expect(copied).toBeLessThan(0.05 * expected.length);
  });
});

