/**
 * Every built-in transformer against the same contract: deterministic under a salt (same salt → same
 * output in another table and another run; another salt → another output), outputs that fit the column
 * types it accepts, NULL kept NULL, and a property test over arbitrary input (unicode, tabs, newlines,
 * backslashes, quotes). A transformer added to the registry without a case here fails the first test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidIban } from '../../scan/detectors.js';
import type { RowView } from '../row-transform.js';
import type { ColumnInfo } from '../transformer.js';
import { builtinTransformers } from './index.js';

const registry = builtinTransformers();
const SALT = Buffer.from('conformance salt');
const OTHER_SALT = Buffer.from('another salt');

/** Text with the characters that break naive encoders. */
const nastyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\t', '\n', '\r', '\\', "'", '"', 'é', '☃', '😀', '\u0000'.replace('\u0000', ' '), 'a', 'Z', '0', '\\N'), maxLength: 30 }),
  fc.emailAddress(),
);

interface Case {
  column: Partial<ColumnInfo>;
  values: fc.Arbitrary<string>;
  options?: Record<string, unknown>;
  row?: Record<string, string | null>;
  /** The output is one of a few (so another salt may give the same one). */
  smallRange?: boolean;
  /** Share of sample values whose output must change with the salt (default 0.8). */
  minChanged?: number;
  /** The output does not depend on the salt at all. */
  saltFree?: boolean;
  check: (output: string | null, input: string) => void;
}

const text = (maxLength?: number): Partial<ColumnInfo> => ({ type: maxLength ? `character varying(${maxLength})` : 'text', baseType: maxLength ? 'varchar' : 'text', ...(maxLength && { maxLength }) });
const fits = (maxLength: number) => (output: string | null) => {
  expect(output).not.toBeNull();
  expect([...output!].length).toBeLessThanOrEqual(maxLength);
};
const isoDate = fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const isoTimestamptz = fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => `${d.toISOString().slice(0, 19).replace('T', ' ')}.25+05:30`);
const int4 = fc.integer().map(String);

const fakeText = (maxLength = 30): Case => ({ column: text(maxLength), values: nastyText, check: fits(maxLength) });

const CASES: Record<string, Case[]> = {
  transient: [{ column: text(), values: nastyText, saltFree: true, check: (out, input) => expect(out).toBe(input) }],
  random: [
    { column: text(50), values: nastyText, check: (out, input) => expect([...out!].length).toBe(Math.min(50, [...input].length)) },
    { column: { type: 'integer', baseType: 'int4' }, values: int4, check: (out) => expect(Number(out)).toSatisfy((n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) },
    { column: { type: 'smallint', baseType: 'int2' }, values: fc.integer({ min: -32768, max: 32767 }).map(String), check: (out) => expect(Math.abs(Number(out))).toBeLessThanOrEqual(32768) },
    { column: { type: 'mood', baseType: 'mood', enumValues: ['happy', 'sad'] }, values: fc.constantFrom('happy', 'sad'), smallRange: true, check: (out) => expect(['happy', 'sad']).toContain(out) },
    { column: text(16), values: nastyText, options: { symbols: 'ACGT', min_length: 4, max_length: 20 }, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[ACGT]{4,16}$/)) },
  ],
  'first-name': [fakeText(12), { column: text(12), values: nastyText, options: { gender: 'female' }, check: fits(12) }],
  'last-name': [fakeText(12)],
  'full-name': [fakeText(20)],
  username: [fakeText(16)],
  email: [{ column: text(40), values: nastyText.filter((s) => s !== ''), check: (out) => expect(out).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/i) }],
  'phone-number': [
    { column: text(20), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[\d()+\- .x]+$/)) },
    { column: text(15), values: nastyText, options: { format: 'international' }, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^\+1\d{10}$/)) },
  ],
  'credit-card': [{ column: text(19), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out!.replaceAll('-', '')).toMatch(/^\d{16}$/)) }],
  'keep-first-char': [
    { column: text(), values: nastyText, saltFree: true, check: (out, input) => expect(out).toBe([...input].length > 1 ? [...input][0] : input) },
    { column: { type: 'integer', baseType: 'int4' }, values: int4, saltFree: true, check: (out, input) => expect(out).toBe(/^-?\d{2,}/.test(input) ? input.slice(0, input.startsWith('-') ? 2 : 1) : input) },
  ],
  redacted: [{ column: text(13), values: nastyText, saltFree: true, check: fits(13) }],
  'random-date': [
    { column: { type: 'date', baseType: 'date' }, values: nastyText, check: (out) => expect(out).toMatch(/^\d{4}-\d{2}-\d{2}$/) },
    { column: { type: 'timestamp with time zone', baseType: 'timestamptz' }, values: isoTimestamptz, check: (out) => expect(out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00$/) },
  ],
  address: [fakeText(40)],
  city: [fakeText(20)],
  'zip-code': [{ column: text(10), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^\d{5}$/)) }],
  country: [fakeText(20)],
  company: [fakeText(30)],
  'ip-address': [
    { column: { type: 'inet', baseType: 'inet' }, values: fc.ipV4(), check: (out) => expect(out).toMatch(/^(\d{1,3}\.){3}\d{1,3}$/) },
    { column: { type: 'inet', baseType: 'inet' }, values: fc.ipV6(), check: (out) => expect(out).toMatch(/^[0-9a-f:]+$/) },
    { column: text(15), values: fc.oneof(fc.ipV4(), fc.ipV6()), options: { subnet: '172.16.0.0/12' }, check: (out) => expect(out).toMatch(/^172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}$/) },
  ],
  uuid: [{ column: { type: 'uuid', baseType: 'uuid' }, values: fc.uuid(), check: (out) => expect(out).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) }],
  url: [{ column: text(60), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^https?:\/\/\S+$/)) }],
  lorem: [{ column: text(30), values: nastyText, check: (out, input) => expect([...out!].length).toBeLessThanOrEqual(Math.max(1, Math.min(30, [...input].length))) }],
  hash: [{ column: text(), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[0-9a-f]{64}$/)) }],
  null: [{ column: text(), values: nastyText, saltFree: true, check: (out) => expect(out).toBeNull() }],
  constant: [{ column: text(10), values: nastyText, options: { value: 'hidden' }, saltFree: true, check: (out) => expect(out).toBe('hidden') }],
  template: [{ column: text(30), values: nastyText, options: { template: 'user-{{id}}@example.com' }, row: { id: '42' }, saltFree: true, check: (out) => expect(out).toBe('user-42@example.com') }],
  'date-shift': [
    { column: { type: 'date', baseType: 'date' }, values: isoDate, check: (out, input) => expect(Math.abs(Date.parse(out!) - Date.parse(input)) / 86_400_000).toSatisfy((d: number) => d >= 1 && d <= 30) },
    { column: { type: 'timestamp with time zone', baseType: 'timestamptz' }, values: isoTimestamptz, check: (out) => expect(out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.25\+05:30$/) },
  ],
  'number-noise': [
    { column: { type: 'integer', baseType: 'int4' }, values: int4, check: (out, input) => expect(Math.abs(Number(out) - Number(input))).toBeLessThanOrEqual(Math.abs(Number(input)) * 0.1 + 1) },
    { column: { type: 'numeric(6,2)', baseType: 'numeric' }, values: fc.integer({ min: -999999, max: 999999 }).map((n) => (n / 100).toFixed(2)), minChanged: 0.5, check: (out) => expect(out).toMatch(/^-?\d{1,4}\.\d{2}$/) },
  ],
  mask: [{ column: text(), values: nastyText, saltFree: true, check: (out, input) => expect([...out!].length).toBe([...input].length) }],
  json: [
    {
      column: { type: 'jsonb', baseType: 'jsonb' },
      values: fc.record({ name: nastyText, contacts: fc.array(fc.record({ email: nastyText }), { maxLength: 3 }) }).map((d) => JSON.stringify(d)),
      options: { paths: [{ path: 'name', transformer_name: 'hash' }, { path: 'contacts.$.email', transformer_name: 'hash' }] },
      check: (out, input) => {
        const before = JSON.parse(input) as { contacts: unknown[] };
        const after = JSON.parse(out!) as { name: string; contacts: Array<{ email: string }> };
        expect(after.contacts).toHaveLength(before.contacts.length);
        for (const value of [after.name, ...after.contacts.map((c) => c.email)]) expect(value).toMatch(/^([0-9a-f]{64})?$/);
      },
    },
    {
      column: { type: 'jsonb', baseType: 'jsonb' },
      values: fc.record({ name: nastyText, ssn: nastyText, kids: fc.array(fc.record({ ssn: nastyText, age: fc.nat() }), { maxLength: 3 }) }).map((d) => JSON.stringify(d)),
      options: { paths: [{ path: 'ssn', delete: true }, { path: 'kids.$.ssn', delete: true }] },
      saltFree: true,
      check: (out, input) => {
        const before = JSON.parse(input) as { name: string; kids: Array<{ age: number }> };
        const after = JSON.parse(out!) as Record<string, unknown>;
        expect(after).toEqual({ name: before.name, kids: before.kids.map((k) => ({ age: k.age })) });
      },
    },
  ],
  'regex-replace': [
    { column: text(30), values: nastyText, options: { pattern: '[0-9]', replacement: '#' }, saltFree: true, check: (out, input) => expect(out).toBe(fitTo(30, input.replace(/[0-9]/g, '#'))) },
    { column: text(), values: fc.emailAddress(), options: { pattern: '^[^@]+', replacement: 'user', flags: '' }, saltFree: true, check: (out, input) => expect(out).toBe(input.replace(/^[^@]+/, 'user')) },
  ],
  choice: [
    { column: text(7), values: nastyText, options: { values: ['basic', { value: 'premium', weight: 3 }, 'gold'] }, smallRange: true, check: (out, input) => expect(input === '' ? [''] : ['basic', 'premium', 'gold']).toContain(out) },
    { column: { type: 'smallint', baseType: 'int2' }, values: int4, options: { values: [1, 2, { value: 3, weight: 0.5 }] }, smallRange: true, check: (out) => expect(['1', '2', '3']).toContain(out) },
    { column: { type: 'mood', baseType: 'mood', enumValues: ['happy', 'sad', 'ok'] }, values: fc.constantFrom('happy', 'sad', 'ok'), options: { values: ['ok', 'sad'] }, smallRange: true, check: (out) => expect(['ok', 'sad']).toContain(out) },
  ],
  generalize: [
    { column: { type: 'integer', baseType: 'int4' }, values: int4, options: { step: 10 }, saltFree: true, check: (out, input) => expect(Number(input) - Number(out)).toSatisfy((d: number) => d >= 0 && d < 10) },
    { column: { type: 'numeric(8,2)', baseType: 'numeric' }, values: fc.integer({ min: -999999, max: 999999 }).map((n) => (n / 100).toFixed(2)), options: { step: 0.5 }, saltFree: true, check: (out, input) => expect(Number(input) - Number(out)).toSatisfy((d: number) => d >= -1e-9 && d < 0.5) },
    { column: { type: 'date', baseType: 'date' }, values: isoDate, options: { unit: 'month' }, saltFree: true, check: (out, input) => expect(out).toBe(`${input.slice(0, 7)}-01`) },
    { column: { type: 'timestamp with time zone', baseType: 'timestamptz' }, values: isoTimestamptz, options: { unit: 'day' }, saltFree: true, check: (out, input) => expect(out).toBe(`${input.slice(0, 10)} 00:00:00+05:30`) },
    { column: text(30), values: int4, options: { step: 100, output: 'range' }, saltFree: true, check: (out) => expect(out).toMatch(/^\[-?\d+, -?\d+\)$/) },
  ],
  'random-number': [
    { column: { type: 'integer', baseType: 'int4' }, values: int4, options: { min: -5, max: 5 }, smallRange: true, check: (out) => expect(Number(out)).toSatisfy((n: number) => Number.isInteger(n) && n >= -5 && n <= 5) },
    { column: { type: 'numeric(5,2)', baseType: 'numeric' }, values: nastyText, options: { min: 0, max: 100, decimals: 2 }, check: (out) => expect(out).toMatch(/^(\d{1,2}\.\d{2}|100\.00)$/) },
  ],
  'mac-address': [{ column: text(17), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/)) }],
  latitude: [
    { column: { type: 'numeric(8,6)', baseType: 'numeric' }, values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy(inDegrees(90, 6))) },
    { column: { type: 'double precision', baseType: 'float8' }, values: nastyText, options: { min: 40, max: 50, decimals: 3 }, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => inDegrees(50, 3)(o) && Number(o) >= 40)) },
    { column: text(6), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => o.length <= 6 && inDegrees(90, 2)(o))) },
  ],
  timezone: [{ column: text(14), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => /^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z_+\-0-9]+)+)$/.test(o) && o.length <= 14)) }],
  currency: [
    { column: { type: 'character(3)', baseType: 'bpchar', maxLength: 3 }, values: nastyText, check: (out, input) => (/^ *$/.test(input) ? expect(out).toBe(input) : expect(out).toMatch(/^[A-Z]{3}$/)) },
    { column: text(12), values: nastyText, options: { format: 'name' }, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => o.length > 0 && o.length <= 12)) },
  ],
  'country-code': [
    { column: { type: 'character(2)', baseType: 'bpchar', maxLength: 2 }, values: nastyText, check: (out, input) => (/^ *$/.test(input) ? expect(out).toBe(input) : expect(out).toMatch(/^[A-Z]{2}$/)) },
    { column: text(), values: nastyText, options: { format: 'numeric' }, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^\d{3}$/)) },
  ],
  state: [
    { column: text(10), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)?$/)) },
    { column: { type: 'character(2)', baseType: 'bpchar', maxLength: 2 }, values: nastyText, options: { abbreviated: true }, check: (out, input) => (/^ *$/.test(input) ? expect(out).toBe(input) : expect(out).toMatch(/^[A-Z]{2}$/)) },
  ],
  iban: [
    { column: text(34), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => isValidIban(o) && o.length <= 34)) },
    { column: text(), values: fc.constantFrom('FR76 3000 6000 0112 3456 7890 189', 'DE89 3704 0044 0532 0130 00', 'NO93 8601 1117 947'), check: (out, input) => expect(out).toSatisfy((o: string) => isValidIban(o) && o.slice(0, 2) === input.slice(0, 2) && o.includes(' ')) },
    { column: { ...text(22), unique: true }, values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy((o: string) => isValidIban(o) && /^DE\d{20}$/.test(o))) },
  ],
  bic: [{ column: text(11), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[A-Z]{4}[A-Z]{2}[A-Z0-9][A-Z1-9]([A-Z0-9]{3})?$/)) }],
  'job-title': [fakeText(24)],
  'user-agent': [{ column: text(60), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[A-Za-z]+\/\d+(\.\d+)*( \(|$)/)) }],
  'domain-name': [
    { column: text(30), values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.[a-z]{2,}$/)) },
    { column: { ...text(40), unique: true }, values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9a-z]{12}\.[a-z]{2,}$/)) },
  ],
  dict: [
    { column: text(8), values: fc.oneof(fc.constantFrom('gold', 'silver', 'bronze'), nastyText), options: { values: { gold: 'standard', silver: 'standard' }, default: 'other' }, saltFree: true, check: (out, input) => expect(out).toBe(input === '' ? '' : ['gold', 'silver'].includes(input) ? 'standard' : 'other') },
    { column: { type: 'numeric(6,2)', baseType: 'numeric' }, values: fc.integer({ min: -2000, max: 2000 }).map((n) => (n / 100).toFixed(2)), options: { values: { '10': 0, '-5.5': null }, keep_others: true }, saltFree: true, check: (out, input) => expect(out).toBe(input === '10.00' ? '0' : input === '-5.50' ? null : input) },
  ],
  longitude: [
    { column: { type: 'decimal(9,6)', baseType: 'numeric' }, values: nastyText, check: (out, input) => (input === '' ? expect(out).toBe('') : expect(out).toSatisfy(inDegrees(180, 6))) },
    { column: { type: 'real', baseType: 'float4' }, values: fc.double({ min: -180, max: 180, noNaN: true }).map(String), check: (out) => expect(out).toSatisfy(inDegrees(180, 6)) },
  ],
};
const fitTo = (maxLength: number, value: string) => [...value].slice(0, maxLength).join('');
/** A number of degrees within ±limit, written with exactly `decimals` digits after the point. */
const inDegrees = (limit: number, decimals: number) => (output: string) =>
  new RegExp(`^-?\\d{1,3}${decimals > 0 ? `\\.\\d{${decimals}}` : ''}$`).test(output) && Math.abs(Number(output)) <= limit;
// Exercised with real module files in custom.test.ts and custom-wasm.test.ts.
const ELSEWHERE = new Set(['custom', 'custom-wasm']);

function build(name: string, c: Case, salt: Buffer, table = 'people') {
  const definition = registry.get(name)!;
  const column: ColumnInfo = { schema: 'public', table, name: 'value', type: 'text', baseType: 'text', ...c.column };
  expect(definition.refuses?.(column)).toBeUndefined();
  const apply = definition.create(definition.options.parse(c.options ?? {}), { column, salt, tableColumns: ['value', 'id'], transformOf: () => undefined });
  const row: RowView = { get: (n) => c.row?.[n] ?? null };
  return (value: string | null) => apply(value, row);
}

describe('every built-in transformer', () => {
  it('has a conformance case', () => {
    const missing = registry.all().map((d) => d.name).filter((n) => !(n in CASES) && !ELSEWHERE.has(n));
    expect(missing).toEqual([]);
  });

  for (const [name, cases] of Object.entries(CASES)) {
    describe(name, () => {
      cases.forEach((c, i) => {
        const label = `${c.column.type ?? 'text'}#${i}`;
        it(`${label}: fits the column, keeps NULL, never throws (property)`, () => {
          const apply = build(name, c, SALT);
          expect(apply(null)).toBeNull();
          fc.assert(
            fc.property(c.values, (value) => {
              c.check(apply(value), value);
            }),
            { numRuns: 200 },
          );
        });

        it(`${label}: same salt → same output in another table and another run; another salt → another output`, () => {
          const samples = fc.sample(c.values.filter((v) => v !== ''), { numRuns: 50, seed: 42 });
          const first = build(name, c, SALT, 'people');
          const again = build(name, c, Buffer.from(SALT), 'orders');
          const other = build(name, c, OTHER_SALT);
          for (const value of samples) expect(again(value)).toBe(first(value));
          const changed = samples.filter((value) => other(value) !== first(value)).length;
          if (c.saltFree) expect(changed).toBe(0);
          else if (c.smallRange) expect(changed).toBeGreaterThanOrEqual(0);
          else expect(changed).toBeGreaterThan(samples.length * (c.minChanged ?? 0.8));
        });
      });
    });
  }
});

/** They write a value given in their options, on every row: '' included. */
const WRITE_A_GIVEN_VALUE = new Set(['constant', 'template', 'null']);

describe("empty text ('')", () => {
  const textColumn: ColumnInfo = { schema: 'public', table: 't', name: 'value', type: 'text', baseType: 'text' };
  const writingText = registry
    .all()
    .map((d) => d.name)
    .filter((name) => !ELSEWHERE.has(name) && !WRITE_A_GIVEN_VALUE.has(name) && registry.get(name)!.refuses?.(textColumn) === undefined);

  it('stays empty for every transformer that writes text (docs/transformers.md, "Empty text")', () => {
    expect(writingText).toEqual(expect.arrayContaining(['phone-number', 'credit-card', 'zip-code', 'email', 'uuid', 'random-date']));
    const changed = writingText.filter((name) => build(name, { ...CASES[name]![0]!, column: textColumn }, SALT)('') !== '');
    expect(changed).toEqual([]);
  });

  it('stays empty on a unique column too', () => {
    const changed = writingText.filter((name) => build(name, { ...CASES[name]![0]!, column: { ...textColumn, unique: true } }, SALT)('') !== '');
    expect(changed).toEqual([]);
  });
});

describe('a blank-padded empty value in char(n)', () => {
  const char16: ColumnInfo = { schema: 'public', table: 't', name: 'value', type: 'character(16)', baseType: 'bpchar', maxLength: 16 };
  const blank = ' '.repeat(16);
  const textCase = (name: string) => CASES[name]?.find((c) => c.column.baseType === 'text' || c.column.baseType === 'varchar');
  const keepingEmpty = registry
    .all()
    .map((d) => d.name)
    .filter((name) => !ELSEWHERE.has(name) && textCase(name) && registry.get(name)!.refuses?.(char16) === undefined)
    .filter((name) => build(name, textCase(name)!, SALT)('') === '');

  it('is found for the transformers that keep empty text', () => {
    expect(keepingEmpty).toEqual(expect.arrayContaining(['first-name', 'hash', 'lorem', 'redacted', 'mask', 'keep-first-char', 'random']));
  });

  for (const unique of [false, true]) {
    it(`stays as it is, as '' does in text${unique ? ' (unique column)' : ''}`, () => {
      // A transformer may refuse a unique char(16) that its distinct values do not fit (iban needs 22).
      const applicable = keepingEmpty.filter((name) => registry.get(name)!.refuses?.({ ...char16, unique }) === undefined);
      const changed = applicable.filter((name) => build(name, { ...textCase(name)!, column: { ...char16, unique } }, SALT)(blank) !== blank);
      expect(changed).toEqual([]);
    });
  }
});
