import fc from 'fast-check';
import { to as copyTo } from 'pg-copy-streams';
import { describe, expect, it } from 'vitest';
import { copyOut } from './copy-out.js';

/** One backend message: a code and its body, framed as on the wire. */
function message(code: string, body: Buffer | string): Buffer {
  const content = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(content.length + 4, 1);
  return Buffer.concat([header, content]);
}

interface Outcome {
  rows: string;
  ended: boolean;
  /** Bytes given back to pg: what the stream left unparsed, then what it never read. */
  handedBack: string;
}

type Parser = ReturnType<typeof copyTo>;

/** Feeds `chunks` to a copy stream's parser the way CopyToStream's socket reading does, without a socket. */
function run(stream: Parser, chunks: Buffer[]): Outcome {
  const internals = stream as unknown as { _parse(chunk: Buffer): unknown; _detach(): void; _buffer: { size: number; take(n: number): Buffer } };
  const rows: Buffer[] = [];
  let ended = false;
  let rest: Buffer | undefined;
  stream.on('data', (chunk: Buffer) => rows.push(chunk));
  stream.on('end', () => (ended = true));
  internals._detach = function detach(this: typeof internals) {
    rest = this._buffer.size > 0 ? this._buffer.take(this._buffer.size) : Buffer.alloc(0);
  };
  let next = 0;
  while (next < chunks.length && rest === undefined) internals._parse(chunks[next++]!);
  // 'data' and 'end' are emitted on later ticks: read what is buffered now.
  for (let piece = stream.read() as Buffer | null; piece !== null; piece = stream.read() as Buffer | null) rows.push(piece);
  ended ||= stream.readableEnded || (stream as unknown as { _readableState: { ended: boolean } })._readableState.ended;
  return { rows: Buffer.concat(rows).toString('latin1'), ended, handedBack: Buffer.concat([rest ?? Buffer.alloc(0), ...chunks.slice(next)]).toString('latin1') };
}

/** Cuts `bytes` at the given fractions, into pieces of any size down to one byte. */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((f) => Math.floor(f * bytes.length)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces;
}

const row = fc.string({ maxLength: 40 }).map((text) => `${text.replaceAll('\n', ' ')}\n`);
const interspersed = fc.constantFrom(message('N', 'SNOTICE\0Mhello\0\0'), message('S', 'TimeZone\0UTC\0'), message('A', Buffer.alloc(12, 1)));
const item = fc.oneof({ weight: 8, arbitrary: row.map((text) => message('d', text)) }, { weight: 1, arbitrary: interspersed });
const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 });

describe('CopyOutStream', () => {
  it('gives the same rows, end and bytes back to pg as pg-copy-streams, cut anywhere', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), fractions, fc.boolean(), (items, cuts, failing) => {
        const tail = failing
          ? [message('E', 'SERROR\0C57014\0Mcanceling statement due to user request\0\0'), message('Z', 'I')]
          : [message('c', ''), message('C', 'COPY 3\0'), message('Z', 'I')];
        const wire = Buffer.concat([message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0])), ...items, ...tail]);
        const chunks = cut(wire, cuts);
        const ours = run(copyOut('COPY t TO STDOUT') as unknown as Parser, chunks);
        const library = run(copyTo('COPY t TO STDOUT'), chunks);
        expect(ours.handedBack).toBe(library.handedBack);
        expect(ours.ended).toBe(library.ended);
        // On an error the library drops what it gathered from the chunk: compare rows only when both end.
        if (!failing) expect(ours.rows).toBe(library.rows);
        expect(ours.handedBack.startsWith(failing ? 'E' : 'C')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('copies the rows of a chunk into one buffer, not one per row', () => {
    const wire = Buffer.concat([message('H', Buffer.from([0, 0, 1, 0, 0])), ...Array.from({ length: 500 }, (_, i) => message('d', `${i}\tx\n`))]);
    const stream = copyOut('COPY t TO STDOUT');
    const pushed: Buffer[] = [];
    (stream as unknown as { push(chunk: Buffer | null): boolean }).push = (chunk) => (chunk && pushed.push(chunk), true);
    (stream as unknown as { _parse(chunk: Buffer): unknown })._parse(wire);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]!.toString()).toBe(Array.from({ length: 500 }, (_, i) => `${i}\tx\n`).join(''));
  });
});
