import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { countryCode } from './country-code.js';
import { currency } from './currency.js';
import { state } from './state.js';
import { timezone } from './timezone.js';

const SALT = Buffer.from('list pick salt');
const row = { get: () => null };
const varchar = (maxLength?: number): ColumnInfo => ({ schema: 'public', table: 't', name: 'c', type: maxLength ? `character varying(${maxLength})` : 'text', baseType: maxLength ? 'varchar' : 'text', ...(maxLength && { maxLength }) });

describe('transformers that pick from a list of codes or names', () => {
  it('refuse a column shorter than the shortest entry, and non-text columns', () => {
    expect(state.refuses!(varchar(1))).toMatch(/1 characters cannot hold a state \(the shortest takes 2\)/);
    expect(countryCode.refuses!(varchar(1))).toMatch(/cannot hold a country code/);
    expect(timezone.refuses!({ ...varchar(), type: 'integer', baseType: 'int4' })).toBe('it writes text');
    // The options decide the shortest entry: a currency code does not fit a varchar(2), nor an alpha-3 code a char(2).
    expect(currency.refuses!(varchar(2))).toBeUndefined();
    expect(() => currency.create(currency.options.parse({}), { column: varchar(2), salt: SALT })).toThrow(/2 characters cannot hold a currency \(the shortest takes 3\)/);
    expect(() => countryCode.create(countryCode.options.parse({ format: 'alpha-3' }), { column: varchar(2), salt: SALT })).toThrow(/2 characters cannot hold a country code \(the shortest takes 3\)/);
  });

  it('never cut an entry: a pick too long for the column is drawn again, and the same value keeps its pick in every column it fits', () => {
    const wide = timezone.create(timezone.options.parse({}), { column: varchar(), salt: SALT });
    const narrow = timezone.create(timezone.options.parse({}), { column: varchar(12), salt: SALT });
    let same = 0;
    for (let i = 0; i < 400; i += 1) {
      const out = narrow(`zone ${i}`, row)!;
      expect(out.length).toBeLessThanOrEqual(12);
      expect(out).toMatch(/^[A-Z][A-Za-z_]+(\/[A-Za-z_+\-0-9]+)*$/);
      const unbounded = wide(`zone ${i}`, row)!;
      if (unbounded.length <= 12) {
        expect(out).toBe(unbounded);
        same += 1;
      }
    }
    expect(same).toBeGreaterThan(0);
  });

  it('count a CHECK\'s bytes (MySQL length()) too: a symbol of three bytes is not written into two', () => {
    const twoBytes = { ...varchar(5), maxBytes: 2 };
    const symbol = currency.create(currency.options.parse({ format: 'symbol' }), { column: twoBytes, salt: SALT });
    for (let i = 0; i < 200; i += 1) expect(Buffer.byteLength(symbol(`s${i}`, row)!)).toBeLessThanOrEqual(2);
    expect(state.refuses!({ ...varchar(5), maxBytes: 1 })).toBe('1 bytes cannot hold a state (the shortest takes 2)');
  });

  it('write codes of the requested form', () => {
    const code = currency.create(currency.options.parse({}), { column: varchar(3), salt: SALT });
    const symbol = currency.create(currency.options.parse({ format: 'symbol' }), { column: varchar(), salt: SALT });
    const abbreviation = state.create(state.options.parse({ abbreviated: true }), { column: varchar(2), salt: SALT });
    const numeric = countryCode.create(countryCode.options.parse({ format: 'numeric' }), { column: varchar(3), salt: SALT });
    for (let i = 0; i < 100; i += 1) {
      expect(code(`c${i}`, row)).toMatch(/^[A-Z]{3}$/);
      expect(symbol(`c${i}`, row)).not.toBe('');
      expect(abbreviation(`c${i}`, row)).toMatch(/^[A-Z]{2}$/);
      expect(numeric(`c${i}`, row)).toMatch(/^\d{3}$/);
    }
  });

  it('refuse unique columns (a few hundred entries cannot keep values distinct)', () => {
    for (const definition of [timezone, currency, countryCode, state]) expect(definition.unique).toBe('maps-all');
  });
});
