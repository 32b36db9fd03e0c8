import { describe, expect, it } from 'vitest';
import { SqlScriptReader, type ScriptEvent } from './sql-script-reader.js';

/** Feeds the script in pieces of `size` characters, so that tokens straddle pieces. */
function events(script: string, size: number): ScriptEvent[] {
  const reader = new SqlScriptReader();
  const out: ScriptEvent[] = [];
  for (let i = 0; i < script.length; i += size) out.push(...reader.push(Buffer.from(script.slice(i, i + size))));
  out.push(...reader.end());
  return out;
}

const SCRIPT = `--
-- header
--

\\restrict abc

SET a = 'x;y';

CREATE TABLE t (a int,
  b text);

COPY t (a, b) FROM stdin;
1\tone
2\ttwo
\\.

INSERT INTO t VALUES (3, 'multi
line');
SELECT 1;
`;

describe('SqlScriptReader line numbers', () => {
  for (const size of [1, 3, 7, 1000]) {
    it(`numbers statements, meta-commands and COPY lines (pieces of ${size})`, () => {
      const found = events(SCRIPT, size);
      const lines = found.filter((e) => e.kind !== 'copy-data').map((e) => [e.kind, e.lineNumber]);
      expect(lines).toEqual([
        ['meta', 5],
        ['statement', 7],
        ['statement', 9],
        ['copy-start', 12],
        ['copy-end', 15],
        ['statement', 17],
        ['statement', 19],
      ]);
      const data = found.filter((e): e is ScriptEvent & { kind: 'copy-data' } => e.kind === 'copy-data');
      expect(data.map((e) => e.data).join('')).toBe('1\tone\n2\ttwo\n');
      expect(data[0]!.lineNumber).toBe(13);
    });
  }

  it('names the line of an unterminated string or COPY block', () => {
    expect(() => events("SELECT 1;\n\nINSERT INTO t VALUES ('x);\n", 5)).toThrow(/line 3/);
    expect(() => events('SELECT 1;\nCOPY t (a) FROM stdin;\n1\n', 4)).toThrow(/COPY block of line 2/);
  });
});
