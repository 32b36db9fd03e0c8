import { randomBytes } from 'node:crypto';
import type { Faker } from '@faker-js/faker';
import { z } from 'zod';
import { asciiRoom, isEmptyText, refuseUnlessText } from '../column-types.js';
import { fakeTextOptions } from '../fake-text.js';
import { RandomSource } from '../random-source.js';
import { keyedDigest, keyedSeed } from '../salt.js';
import { englishFaker, sharedSeededFaker } from '../seeded-faker.js';
import { defineTransformer, type ColumnInfo } from '../transformer.js';

/*
 * Bank identifiers (PostgreSQL Anonymizer's fake_iban/pseudo_iban and dummy_iban/dummy_bic): an IBAN that
 * passes its mod-97 check, in the input's country when it has one, and a BIC of the input's shape.
 */

/** Norway's IBANs, the shortest: 15 characters. */
const SHORTEST_IBAN = 15;
/** The IBAN written on a unique column: DE, its check digits and 18 keyed digits (22 characters). */
const UNIQUE_IBAN_LENGTH = 22;
const INPUT_COUNTRY = /^\s*([A-Za-z]{2})\s*\d\d/;

export const iban = defineTransformer({
  name: 'iban',
  description:
    'An IBAN that passes the mod-97 check, the same for the same input: in `country` (often `{ column: country }`), else in the input\'s country when it starts with one, else in a country whose IBAN fits the column (a country without an IBAN format, or whose IBANs are too long for the column, counts as none); grouped by four when the input has spaces. On a unique column: a German IBAN of 18 keyed digits (distinct inputs stay distinct). Empty stays empty.',
  // Any text: a value read from the row that names no IBAN country must not stop the dump (it counts as none).
  options: fakeTextOptions.extend({ country: z.string().optional() }),
  deterministic: true,
  unique: 'keeps',
  accepts: `text, varchar(n ≥ ${SHORTEST_IBAN}; ≥ ${UNIQUE_IBAN_LENGTH} when unique), char(n), citext`,
  refuses: (column) => {
    const minimum = column.unique ? UNIQUE_IBAN_LENGTH : SHORTEST_IBAN;
    const room = asciiRoom(column);
    return refuseUnlessText(column) ?? (room !== undefined && room < minimum ? `${room} characters cannot hold an IBAN (${minimum})` : undefined);
  },
  examples: [{ input: 'FR76 3000 6000 0112 3456 7890 189' }, { input: 'GB33BUKB20201555555555' }, { input: '123456789', options: { country: 'NL' } }],
  create: (options, { column, salt }) => {
    const named = options.country?.trim().toUpperCase();
    const wanted = named !== undefined && ibanCountries().has(named) && fits(ibanCountries().get(named)!, column) ? named : undefined;
    const seeded = sharedSeededFaker(salt, 'iban');
    const fitting = [...ibanCountries()].filter(([, length]) => fits(length, column)).map(([country]) => country);
    return (value) => {
      if (value === null || isEmptyText(value, column)) return value;
      if (column.unique) return uniqueIban(salt, value, options.deterministic);
      const faker = seeded.for(value, options.deterministic);
      const country = countryFor(value, wanted, column, fitting, faker);
      const grouped = / /.test(value.trim()) && fits(groupedLength(ibanCountries().get(country)!), column);
      return faker.finance.iban({ countryCode: country, formatted: grouped });
    };
  },
});

/** The input's country when faker knows its IBAN format and it fits, else the option's, else one drawn among those that fit. */
function countryFor(value: string, wanted: string | undefined, column: ColumnInfo, fitting: string[], faker: Faker): string {
  if (wanted !== undefined) return wanted;
  const own = INPUT_COUNTRY.exec(value)?.[1]?.toUpperCase();
  const length = own === undefined ? undefined : ibanCountries().get(own);
  if (own !== undefined && length !== undefined && fits(length, column)) return own;
  return faker.helpers.arrayElement(fitting);
}

/** IBANs and BICs are ASCII: a character is a byte. */
function fits(length: number, column: ColumnInfo): boolean {
  const room = asciiRoom(column);
  return room === undefined || length <= room;
}

/** `DE89 3704 0044 0532 0130 00`: a space after every four characters. */
function groupedLength(length: number): number {
  return length + Math.floor((length - 1) / 4);
}

/** DE, check digits, and 18 digits from 60 bits of the keyed digest: about 1 chance in 10^7 of one collision among a million rows. */
function uniqueIban(salt: Buffer, value: string, deterministic: boolean): string {
  const digest = deterministic ? keyedDigest(salt, 'iban unique', value) : randomBytes(32);
  const bban = (digest.readBigUInt64LE(0) % 10n ** 18n).toString().padStart(18, '0');
  return `DE${checkDigits('DE', bban)}${bban}`;
}

/** ISO 13616: 98 minus (BBAN + country + 00, letters as 10..35) mod 97. */
export function checkDigits(country: string, bban: string): string {
  let remainder = 0;
  for (const character of `${bban}${country}00`) {
    const code = character.charCodeAt(0);
    const digits = code >= 65 ? String(code - 55) : character;
    for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return String(98 - remainder).padStart(2, '0');
}

let knownIbanCountries: Map<string, number> | undefined;

/** Countries whose IBAN format faker knows, with their IBANs' length, found once by asking it. */
function ibanCountries(): Map<string, number> {
  if (!knownIbanCountries) {
    const faker = englishFaker();
    knownIbanCountries = new Map();
    for (const { alpha2 } of faker.definitions.location.country_code) {
      try {
        knownIbanCountries.set(alpha2, faker.finance.iban({ countryCode: alpha2 }).length);
      } catch {
        // No IBAN format for this country.
      }
    }
  }
  return knownIbanCountries;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALPHANUMERIC = `${LETTERS}0123456789`;
/** A BIC's location code whose second character is 0 marks a test BIC: never written. */
const LOCATION_SECOND = `${LETTERS}123456789`;

export const bic = defineTransformer({
  name: 'bic',
  description:
    'A BIC (SWIFT code) of the input\'s shape: 8 characters, or 11 with a branch code when the input has 11 and the column holds them; the input\'s country (its 5th and 6th letters) is kept, the bank, location and branch are drawn from the keyed digest. Empty stays empty.',
  options: fakeTextOptions,
  deterministic: true,
  accepts: 'text, varchar(n ≥ 8), char(n ≥ 8), citext',
  refuses: (column) => refuseUnlessText(column) ?? (fits(8, column) ? undefined : `${asciiRoom(column)} characters cannot hold a BIC (8)`),
  examples: [{ input: 'DEUTDEFF' }, { input: 'BNPAFRPPXXX' }],
  create: (options, { column, salt }) => {
    const countries = englishFaker().definitions.location.country_code.map((code) => code.alpha2);
    const fresh = RandomSource.fresh();
    return (value) => {
      if (value === null || isEmptyText(value, column)) return value;
      const compact = value.replace(/\s+/g, '').toUpperCase();
      const random = options.deterministic ? RandomSource.fromDigest(keyedSeed(salt, 'bic', value)) : fresh;
      const draw = (alphabet: string, count: number) => Array.from({ length: count }, () => alphabet[random.intBelow(alphabet.length)]).join('');
      const bank = draw(LETTERS, 4);
      const own = compact.slice(4, 6);
      const country = /^[A-Z]{2}$/.test(own) && countries.includes(own) ? own : countries[random.intBelow(countries.length)]!;
      const location = draw(ALPHANUMERIC, 1) + draw(LOCATION_SECOND, 1);
      const branch = compact.length === 11 && fits(11, column) ? draw(ALPHANUMERIC, 3) : '';
      return `${bank}${country}${location}${branch}`;
    };
  },
});
