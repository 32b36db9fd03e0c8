import { describe, expect, it } from 'vitest';
import type { LiteralKind } from '../../engines/mysql/column-types.js';
import type { ColumnTransform } from '../../transformers/row-transform.js';
import { ByteBuilder } from './byte-builder.js';
import { InsertBatcher } from './insert-batcher.js';
import { RowPacketEncoder } from './row-packet-encoder.js';
import { textOf, writeLiteral, writeText } from './sql-literal.js';

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
    const piece = encoder.encode(bytes, 4, bytes.length - 4, batcher);
    if (piece) pieces.push(piece);
  }
  const rest = batcher.finish();
  if (rest) pieces.push(rest);
  return Buffer.concat(pieces).toString('latin1');
}

function referenceAll(columns: string[], kinds: LiteralKind[], rows: Array<Array<Buffer | null>>, transforms: ColumnTransform[], maxStatementBytes?: number): string {
  const batcher = new InsertBatcher('t', columns, maxStatementBytes);
  const pieces: Buffer[] = [];
  for (const values of rows) {
    const piece = batcher.add(reference(kinds, values, transforms, columns));
    if (piece) pieces.push(piece);
  }
  const rest = batcher.finish();
  if (rest) pieces.push(rest);
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
