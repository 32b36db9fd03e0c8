import { describe, expect, it } from 'vitest';
import { isValidIban } from '../../scan/detectors.js';
import { englishFaker } from '../seeded-faker.js';
import type { ColumnInfo } from '../transformer.js';
import { bic, checkDigits, iban } from './bank.js';

const SALT = Buffer.from('bank salt');
const row = { get: () => null };
const varchar = (maxLength?: number, unique = false): ColumnInfo => ({
  schema: 'public',
  table: 'accounts',
  name: 'iban',
  type: maxLength ? `character varying(${maxLength})` : 'text',
  baseType: maxLength ? 'varchar' : 'text',
  ...(maxLength && { maxLength }),
  ...(unique && { unique }),
});
const build = (column: ColumnInfo, options: Record<string, unknown> = {}) => iban.create(iban.options.parse(options), { column, salt: SALT });

describe('iban', () => {
  it('computes ISO 13616 check digits', () => {
    expect(checkDigits('DE', '370400440532013000')).toBe('89');
    expect(checkDigits('GB', 'WEST12345698765432')).toBe('82');
  });

  it('writes IBANs that pass the scan\'s mod-97 check, in the input\'s country, grouped like the input', () => {
    const apply = build(varchar());
    for (const input of ['FR76 3000 6000 0112 3456 7890 189', 'DE89370400440532013000', 'gb82 west 1234 5698 7654 32', 'NO9386011117947']) {
      const out = apply(input, row)!;
      expect(isValidIban(out), out).toBe(true);
      expect(out.slice(0, 2)).toBe(input.slice(0, 2).toUpperCase());
      expect(out.includes(' ')).toBe(input.includes(' '));
      expect(apply(input, row)).toBe(out);
    }
  });

  it('writes a valid IBAN for every country it knows (the scan\'s lengths and checksum agree)', () => {
    const countries = englishFaker().definitions.location.country_code.map((code) => code.alpha2);
    let known = 0;
    for (const country of countries) {
      let apply;
      try {
        apply = build(varchar(), { country });
      } catch {
        continue;
      }
      known += 1;
      for (let i = 0; i < 20; i += 1) expect(isValidIban(apply(`${country} ${i}`, row)!), country).toBe(true);
    }
    expect(known).toBeGreaterThan(60);
  });

  it('picks a country whose IBAN fits the column when the input has none or its own does not fit', () => {
    const apply = build(varchar(18));
    for (let i = 0; i < 200; i += 1) {
      const out = apply(i % 2 ? `account ${i}` : `FR76 3000 6000 0112 3456 7890 1${i}`, row)!;
      expect(out.length).toBeLessThanOrEqual(18);
      expect(isValidIban(out), out).toBe(true);
    }
  });

  it('takes the country from its option (or the row: { column: country })', () => {
    const apply = build(varchar(), { country: 'nl' });
    expect(apply('DE89370400440532013000', row)).toMatch(/^NL\d\d[A-Z]{4}\d{10}$/);
    // A country without an IBAN format, or whose IBANs do not fit, counts as none: a row's value never stops the dump.
    expect(build(varchar(), { country: 'US' })('DE89370400440532013000', row)).toMatch(/^DE/);
    expect(build(varchar(20), { country: 'FR' })('FR7630006000011234567890189', row)!.length).toBeLessThanOrEqual(20);
  });

  it('keeps a unique column unique with 18 keyed digits, and refuses one too short for them', () => {
    const apply = build(varchar(22, true));
    const outputs = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) {
      const out = apply(`DE${i}`, row)!;
      expect(out).toMatch(/^DE\d{20}$/);
      outputs.add(out);
    }
    expect(outputs.size).toBe(20_000);
    expect(isValidIban([...outputs][0]!)).toBe(true);
    expect(iban.refuses!(varchar(20, true))).toBe('20 characters cannot hold an IBAN (22)');
    expect(iban.refuses!(varchar(14))).toBe('14 characters cannot hold an IBAN (15)');
    expect(iban.refuses!({ ...varchar(), type: 'bigint', baseType: 'int8' })).toBe('it writes text');
  });
});

describe('bic', () => {
  it('keeps the input\'s shape and country, never a test BIC (location ending in 0)', () => {
    const apply = bic.create(bic.options.parse({}), { column: varchar(11), salt: SALT });
    const short = bic.create(bic.options.parse({}), { column: varchar(8), salt: SALT });
    for (let i = 0; i < 300; i += 1) {
      expect(apply(`DEUTDEFF${i % 10}`.slice(0, 8), row)).toMatch(/^[A-Z]{4}DE[A-Z0-9][A-Z1-9]$/);
      expect(apply(`BNPAFRPP${String(i).padStart(3, '0')}`, row)).toMatch(/^[A-Z]{4}FR[A-Z0-9][A-Z1-9][A-Z0-9]{3}$/);
      expect(short(`BNPAFRPP${String(i).padStart(3, '0')}`, row)).toMatch(/^[A-Z]{4}FR[A-Z0-9][A-Z1-9]$/);
    }
    expect(bic.refuses!(varchar(7))).toBe('7 characters cannot hold a BIC (8)');
  });
});
