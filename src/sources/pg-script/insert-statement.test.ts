import { describe, expect, it } from 'vitest';
import { readInsertTable, rewriteInsert, type ColumnRewrite } from './insert-statement.js';
import { tokenize } from '../../engines/postgres/sql-lexer.js';
import { readLiteral, unescapeString, writeLiteral } from './sql-literal.js';

/** Rewrites the named columns with `f`, and returns the statement and what each transform saw. */
function rewrite(sql: string, columns: string[], f: (value: string | null) => string | null, all: string[] = []) {
  const seen: Array<string | null> = [];
  const result = rewriteInsert(
    sql,
    () => all,
    (list) =>
      columns.map((name): ColumnRewrite => ({
        index: list.indexOf(name),
        apply: (value) => {
          seen.push(value);
          return f(value);
        },
      })),
  );
  return { ...result, seen };
}

const literal = (text: string) => readLiteral(text, tokenize(text));

describe('SQL literals of INSERT statements', () => {
  it('reads quoted strings with doubled quotes, and keeps casts', () => {
    expect(literal("'it''s'")).toEqual({ value: "it's", form: 'string', casts: '' });
    expect(literal("'2024-01-01'::date")).toEqual({ value: '2024-01-01', form: 'string', casts: '::date' });
    expect(literal("'x'::character varying(10)")?.casts).toBe('::character varying(10)');
    expect(literal("'{a,b}'::text[]")?.casts).toBe('::text[]');
    expect(literal("'active'::public.account_status")?.value).toBe('active');
  });

  it("reads E'' strings with backslash escapes", () => {
    expect(literal("E'tab\\there\\nline \\\\ and \\' and '' \\x41\\101\\u00e9\\U0001F600'")?.value).toBe("tab\there\nline \\ and ' and ' AAé😀");
    expect(unescapeString('\\q')).toBe('q');
  });

  it('reads numbers (negative, decimals, exponents), NULL and booleans as written', () => {
    expect(literal('-1.5e-10')).toEqual({ value: '-1.5e-10', form: 'number', casts: '' });
    expect(literal('123456789012345678901234567890.000000000000000001')?.value).toBe('123456789012345678901234567890.000000000000000001');
    expect(literal('1E+300')?.value).toBe('1E+300');
    expect(literal('.5')?.value).toBe('.5');
    expect(literal('NULL')).toEqual({ value: null, form: 'null', casts: '' });
    expect(literal('NULL::date')?.casts).toBe('::date');
    expect(literal('TRUE')?.value).toBe('true');
  });

  it('does not take expressions for literals', () => {
    expect(literal('ARRAY[1, 2]')).toBeUndefined();
    expect(literal('now()')).toBeUndefined();
    expect(literal("'a' || 'b'")).toBeUndefined();
    expect(literal('DEFAULT')).toBeUndefined();
    expect(literal("B'0101'")).toBeUndefined();
  });

  it('writes values back in the form they had', () => {
    const original = literal("'x'::date")!;
    expect(writeLiteral("it's", original)).toBe("'it''s'::date");
    expect(writeLiteral('back\\slash', literal("'x'")!)).toBe("E'back\\\\slash'");
    expect(writeLiteral(null, original)).toBe('NULL::date');
    expect(writeLiteral('42', literal('7')!)).toBe('42');
    expect(writeLiteral('-42', literal('7::int')!)).toBe('(-42)::int');
    expect(writeLiteral('not a number', literal('7')!)).toBe("'not a number'");
  });
});

describe('rewriteInsert', () => {
  it('replaces only the transformed values; every other byte stays', () => {
    const sql = `INSERT INTO public.t (id, name, note, price, born, tags) VALUES (1, 'it''s', E'a\\\\b; c', -1.50e3, '1980-01-01'::date, ARRAY['x', 'y']);`;
    const { sql: out, seen, rows } = rewrite(sql, ['name'], (v) => `${v}!`);
    expect(rows).toBe(1);
    expect(seen).toEqual(["it's"]);
    expect(out).toBe(`INSERT INTO public.t (id, name, note, price, born, tags) VALUES (1, 'it''s!', E'a\\\\b; c', -1.50e3, '1980-01-01'::date, ARRAY['x', 'y']);`);
  });

  it('decodes E strings, keeps NULL, and handles multi-row VALUES with semicolons and unicode inside strings', () => {
    const sql = `INSERT INTO "Odd Schema"."Mixed ""Case"" Table" ("Id", "Émoji ☃ column") VALUES\n\t(1, '☃ snow; DROP TABLE x; --'),\n\t(2, NULL),\n\t(3, E'tab\\there');`;
    const { sql: out, seen, rows } = rewrite(sql, ['Émoji ☃ column'], (v) => (v === null ? null : v.toUpperCase()));
    expect(rows).toBe(3);
    expect(seen).toEqual(['☃ snow; DROP TABLE x; --', null, 'tab\there']);
    expect(out).toBe(`INSERT INTO "Odd Schema"."Mixed ""Case"" Table" ("Id", "Émoji ☃ column") VALUES\n\t(1, '☃ SNOW; DROP TABLE X; --'),\n\t(2, NULL),\n\t(3, 'TAB\tHERE');`);
  });

  it('maps values to the table columns when the INSERT has no column list, and leaves DEFAULT alone', () => {
    const sql = `INSERT INTO public.customers VALUES (1, 'a@example.com', DEFAULT);`;
    const { sql: out } = rewrite(sql, ['email', 'label'], () => 'x@example.com', ['id', 'email', 'label']);
    expect(out).toBe(`INSERT INTO public.customers VALUES (1, 'x@example.com', DEFAULT);`);
  });

  it('keeps OVERRIDING SYSTEM VALUE and ON CONFLICT', () => {
    const sql = `INSERT INTO public.e (id, kind) OVERRIDING SYSTEM VALUE VALUES (1, 'a') ON CONFLICT DO NOTHING;`;
    expect(rewrite(sql, ['kind'], () => 'b').sql).toBe(`INSERT INTO public.e (id, kind) OVERRIDING SYSTEM VALUE VALUES (1, 'b') ON CONFLICT DO NOTHING;`);
  });

  it('refuses to transform a value that is not a literal, and a row with the wrong number of values', () => {
    expect(() => rewrite(`INSERT INTO t (a, b) VALUES (1, lower('X'));`, ['b'], (v) => v)).toThrow(/not a literal/);
    expect(() => rewrite(`INSERT INTO t (a, b) VALUES (1);`, ['b'], (v) => v)).toThrow(/1 values, expected 2/);
    expect(() => rewrite(`INSERT INTO t (a, b) VALUES (1, 'x);`, ['b'], (v) => v)).toThrow(/unterminated/);
  });

  it('reads the table of an INSERT past leading comments, quoted and mixed-case names', () => {
    expect(readInsertTable(`--\n-- Data for Name: t\n--\n\nINSERT INTO "Odd Schema"."T" VALUES (1);`)).toEqual({ schema: 'Odd Schema', name: 'T' });
    expect(readInsertTable('INSERT INTO Public.Users VALUES (1);')).toEqual({ schema: 'public', name: 'users' });
    expect(readInsertTable('insert into users values (1);')).toEqual({ schema: 'public', name: 'users' });
    expect(readInsertTable('UPDATE t SET a = 1;')).toBeUndefined();
  });
});
