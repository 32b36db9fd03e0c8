import { describe, expect, it } from 'vitest';
import { SqlScriptReader, type ScriptEvent } from './sql-script-reader.js';

const SCRIPT = `-- a comment; with a semicolon
\\restrict abc123
SET standard_conforming_strings = on;
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;
CREATE TABLE "we;ird" ("x""y" text DEFAULT E'it\\'s; \\\\', z text DEFAULT 'it''s;');
/* block /* nested; */ comment */ SELECT $$;$$, $t$ $$ ; $t$;
COPY public."we;ird" ("x""y", z) FROM stdin;
a;b\tc\\.d
\\N\t\\\\.
\\.
SELECT 1;
\\unrestrict abc123
SELECT 'no final semicolon'`;

function collect(pieces: string[]): ScriptEvent[] {
  const reader = new SqlScriptReader();
  const events: ScriptEvent[] = [];
  for (const piece of pieces) events.push(...reader.push(Buffer.from(piece)));
  events.push(...reader.end());
  return merge(events);
}

/** COPY data may arrive in any number of pieces: join consecutive ones to compare. */
function merge(events: ScriptEvent[]): ScriptEvent[] {
  const out: ScriptEvent[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    // Line numbers are checked in sql-script-reader-lines.test.ts.
    const { lineNumber: _line, ...rest } = event as ScriptEvent & { lineNumber?: number };
    if (rest.kind === 'copy-data' && last?.kind === 'copy-data') last.data += rest.data;
    else out.push(rest as ScriptEvent);
  }
  return out;
}

describe('SqlScriptReader', () => {
  it('splits statements, meta-commands and COPY blocks', () => {
    const events = collect([SCRIPT]);
    expect(events).toEqual([
      { kind: 'meta', line: '\\restrict abc123' },
      { kind: 'statement', sql: 'SET standard_conforming_strings = on;' },
      { kind: 'statement', sql: "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;" },
      { kind: 'statement', sql: `CREATE TABLE "we;ird" ("x""y" text DEFAULT E'it\\'s; \\\\', z text DEFAULT 'it''s;');` },
      { kind: 'statement', sql: '/* block /* nested; */ comment */ SELECT $$;$$, $t$ $$ ; $t$;' },
      { kind: 'copy-start', sql: 'COPY public."we;ird" ("x""y", z) FROM stdin;' },
      { kind: 'copy-data', data: 'a;b\tc\\.d\n\\N\t\\\\.\n' },
      { kind: 'copy-end' },
      { kind: 'statement', sql: 'SELECT 1;' },
      { kind: 'meta', line: '\\unrestrict abc123' },
      { kind: 'statement', sql: "SELECT 'no final semicolon'" },
    ]);
  });

  it('gives the same events however the bytes are cut', () => {
    const whole = collect([SCRIPT]);
    for (let cut = 1; cut < SCRIPT.length; cut += 1) {
      expect(collect([SCRIPT.slice(0, cut), SCRIPT.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    expect(collect([...SCRIPT])).toEqual(whole);
  });

  it('keeps multibyte characters whole across pieces', () => {
    const bytes = Buffer.from("SELECT 'é ✓ 𝄞';");
    const reader = new SqlScriptReader();
    const events = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    events.push(...reader.end());
    expect(events.map(({ lineNumber: _line, ...rest }) => rest)).toEqual([{ kind: 'statement', sql: "SELECT 'é ✓ 𝄞';" }]);
  });

  it('refuses a script that ends inside a string or a COPY block', () => {
    expect(() => collect(["SELECT 'open"])).toThrow(/inside a quoted string/);
    expect(() => collect(['COPY t (a) FROM stdin;\n1\n'])).toThrow(/inside the COPY block of line 1/);
  });
});
