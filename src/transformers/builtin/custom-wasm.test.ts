import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplibyteError } from '../../errors.js';
import { customWasm } from './custom-wasm.js';

/**
 * A WASI module written byte by byte (no toolchain here): `_start` reads stdin with fd_read and writes
 * "wasm:" followed by what it read with fd_write, like a transformer that prefixes its input.
 */
function prefixingModule(): Uint8Array {
  const name = (text: string) => [text.length, ...Buffer.from(text)];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      out.push(byte);
    } while (n !== 0);
    return out;
  };
  const i32 = (n: number) => [0x41, ...leb(n)]; // i32.const (values < 64 only)
  const body = [
    0x00, // no locals
    ...i32(0), ...i32(0), ...i32(1), ...i32(8), 0x10, 0x00, 0x1a, // fd_read(stdin, iovs=0, 1, nread=8); drop
    ...i32(28), ...i32(8), 0x28, 0x02, 0x00, 0x36, 0x02, 0x00, // mem[28] = nread (length of the 2nd write iov)
    ...i32(1), ...i32(16), ...i32(2), ...i32(12), 0x10, 0x01, 0x1a, // fd_write(stdout, iovs=16, 2, nwritten=12); drop
    0x0b,
  ];
  const le = (n: number) => [n & 0xff, (n >> 8) & 0xff, 0, 0];
  const data = [...le(64), ...le(1000), ...new Array(8).fill(0), ...le(32), ...le(5), ...le(64), ...le(0), ...Buffer.from('wasm:')];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0]),
    ...section(2, [2, ...name('wasi_snapshot_preview1'), ...name('fd_read'), 0x00, 0, ...name('wasi_snapshot_preview1'), ...name('fd_write'), 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('_start'), 0x00, 2]),
    ...section(10, [1, ...leb(body.length), ...body]),
    ...section(11, [1, 0x00, ...i32(0), 0x0b, ...leb(data.length), ...data]),
  ]);
}

describe('custom-wasm', () => {
  let dir: string;
  let path: string;
  const column = { schema: 'public', table: 't', name: 'c', type: 'text', baseType: 'text' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'replibyte-wasm-test-'));
    path = join(dir, 'prefix.wasm');
    await writeFile(path, prefixingModule());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the module per value: value + newline on stdin, trimmed stdout back; NULL is not passed', () => {
    const apply = customWasm.create({ path }, { column, salt: Buffer.from('s') });
    const row = { get: () => null };
    expect(apply('jane@acme.com', row)).toBe('wasm:jane@acme.com');
    expect(apply('héllo ☃', row)).toBe('wasm:héllo ☃');
    expect(apply('', row)).toBe('wasm:');
    expect(apply(null, row)).toBeNull();
  });

  it('cuts its output to a varchar(n) (a longer value fails the restore)', () => {
    const short = { ...column, type: 'character varying(5)', baseType: 'varchar', maxLength: 5 };
    const apply = customWasm.create({ path }, { column: short, salt: Buffer.from('s') });
    expect(apply('jane@acme.com', { get: () => null })).toBe('wasm:');
  });

  it('refuses a missing or invalid module when the dump starts', async () => {
    expect(() => customWasm.create({ path: join(dir, 'missing.wasm') }, { column, salt: Buffer.from('s') })).toThrow(ReplibyteError);
    await writeFile(join(dir, 'bad.wasm'), 'not wasm');
    expect(() => customWasm.create({ path: join(dir, 'bad.wasm') }, { column, salt: Buffer.from('s') })).toThrow(/cannot load the WebAssembly module/);
  });
});
