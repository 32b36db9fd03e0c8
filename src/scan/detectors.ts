import { isIP } from 'node:net';
import { faker as englishFaker } from '@faker-js/faker/locale/en';

/** The kinds of personal or secret data that `source scan` looks for. */
export type SensitiveKind =
  | 'email'
  | 'phone'
  | 'first-name'
  | 'last-name'
  | 'full-name'
  | 'username'
  | 'address'
  | 'postcode'
  | 'card'
  | 'iban'
  | 'ip'
  | 'token'
  | 'national-id'
  | 'birth-date';

export interface ContentDetector {
  kind: SensitiveKind;
  /** What a matching value looks like, for the `# reason` comment. */
  describes: string;
  matches(value: string): boolean;
}

/** Luhn's checksum, which every payment card number passes (and 9 in 10 random digit strings fail). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * IBAN lengths per country (the ISO 13616 registry). A random code passes mod-97 once in 97 times; with
 * the country's exact length as well, hex digests and product codes stop looking like bank accounts.
 */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31,
  MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24,
  SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

const MAY_BE_IBAN = /^\s*[A-Za-z]{2}\s*\d/;

/** ISO 13616: the country's length, then the first four characters moved to the end, letters to numbers, mod 97 is 1. */
export function isValidIban(text: string): boolean {
  if (!MAY_BE_IBAN.test(text)) return false; // the cheap test first: most values fail it at once
  const iban = text.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const code = character.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

const lower = (list: readonly string[] | undefined) => new Set((list ?? []).map((name) => name.toLowerCase()));
const en = englishFaker.rawDefinitions;
const personNames = en.person as { first_name?: { generic?: string[] }; last_name?: { generic?: string[] } };
const FIRST_NAMES = lower(personNames.first_name?.generic);
const LAST_NAMES = lower(personNames.last_name?.generic);
const STREET_SUFFIXES = [...lower(en.location?.street_suffix as string[] | undefined), 'st', 'ave', 'rd', 'ln', 'dr', 'ct', 'blvd', 'pl', 'strasse', 'straße', 'rue', 'via', 'calle', 'weg'];
const STREET = new RegExp(`^\\d+[a-z]?,?\\s+(?:[\\p{L}0-9.'-]+\\s+){0,4}(?:${STREET_SUFFIXES.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\.?(?:\\b|\\s|,|$)`, 'iu');
const STREET_FIRST = /^(?:rue|via|calle|avenida|avenue|chemin|place)\s+\p{L}/iu;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bits per character: tokens and keys are dense, words and codes are not. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const character of text) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const digitsOf = (value: string) => value.replace(/\D/g, '');
const words = (value: string) => value.trim().split(/\s+/);

/** In order: the first detector most sampled values match gives the column its kind. */
export const CONTENT_DETECTORS: ContentDetector[] = [
  { kind: 'email', describes: 'email addresses', matches: (v) => v.includes('@') && /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(v.trim()) },
  {
    kind: 'card',
    describes: 'card numbers (Luhn checksum)',
    matches: (v) => /^\d[\d -]{11,22}\d$/.test(v.trim()) && digitsOf(v).length >= 13 && digitsOf(v).length <= 19 && passesLuhn(digitsOf(v)),
  },
  { kind: 'iban', describes: 'IBANs (mod-97 checksum)', matches: isValidIban },
  { kind: 'ip', describes: 'IP addresses', matches: (v) => (v.includes('.') || v.includes(':')) && isIP(v.trim().replace(/\/\d+$/, '')) !== 0 },
  {
    kind: 'phone',
    describes: 'phone numbers',
    matches: (v) => {
      const text = v.trim();
      const digits = digitsOf(text).length;
      return /^\+?[\d\s().-]{7,24}(?:\s*(?:x|ext\.?)\s*\d{1,5})?$/i.test(text) && digits >= 9 && digits <= 15 && (/^\+|[\s().-]/.test(text) || digits >= 10);
    },
  },
  {
    kind: 'token',
    describes: 'tokens or keys (long, dense, random-looking)',
    matches: (v) => {
      const text = v.trim();
      if (text.length < 20) return false;
      if (UUID.test(text)) return false;
      if (/^eyJ[\w-]+\.[\w-]+\./.test(text)) return true;
      return /^[A-Za-z0-9_\-+/=.$:]{20,}$/.test(text) && /\d/.test(text) && /[A-Za-z]/.test(text) && entropy(text) >= 3.5;
    },
  },
  { kind: 'address', describes: 'street addresses', matches: (v) => STREET.test(v.trim()) || STREET_FIRST.test(v.trim()) },
  {
    kind: 'full-name',
    describes: 'people\'s full names',
    matches: (v) => {
      if (!/\S\s+\S/.test(v)) return false;
      const parts = words(v);
      return parts.length >= 2 && parts.length <= 4 && FIRST_NAMES.has(parts[0]!.toLowerCase()) && /^\p{Lu}/u.test(parts[parts.length - 1]!);
    },
  },
  { kind: 'first-name', describes: 'first names', matches: (v) => FIRST_NAMES.has(v.trim().toLowerCase()) && words(v).length === 1 },
  { kind: 'last-name', describes: 'last names', matches: (v) => LAST_NAMES.has(v.trim().toLowerCase()) && words(v).length === 1 },
];

/** Column names that say what they hold (matched on the lower-cased name with `_` between words). */
export const NAME_RULES: Array<{ kind: SensitiveKind; pattern: RegExp }> = [
  { kind: 'email', pattern: /e_?mail/ },
  { kind: 'phone', pattern: /phone|mobile|(^|_)cell(_|$)|(^|_)fax(_|$)|(^|_)tel(_|$)|telephone|msisdn/ },
  { kind: 'first-name', pattern: /first_?name|given_?name|(^|_)fname(_|$)|forename/ },
  { kind: 'last-name', pattern: /last_?name|surname|family_?name|(^|_)lname(_|$)|maiden_?name/ },
  // Before full-name: a user name is a login, not a person's name ("Dereck Farrell" is no username).
  { kind: 'username', pattern: /(^|_)user_?name$|^login(_?name)?$|nick_?name$|screen_?name$/ },
  { kind: 'full-name', pattern: /full_?name|(customer|contact|person|client|holder|patient|employee|owner)_?name|display_?name/ },
  { kind: 'card', pattern: /card_?(number|num|no)|credit_?card|(^|_)cc_?(number|num|no)(_|$)|(^|_)pan(_|$)/ },
  { kind: 'iban', pattern: /iban|bank_?account|account_?number|routing_?number/ },
  { kind: 'ip', pattern: /(^|_)ip(_|$)|ip_?addr|remote_?addr|client_?ip/ },
  { kind: 'address', pattern: /address|street|(^|_)addr(_|$)|address_?line/ },
  { kind: 'postcode', pattern: /zip_?code|(^|_)zip(_|$)|postal|postcode/ },
  { kind: 'token', pattern: /token|secret|password|passwd|api_?key|access_?key|private_?key|(^|_)salt(_|$)|session_?id|(^|_)otp(_|$)|totp|(^|_)2fa(_|$)/ },
  { kind: 'national-id', pattern: /(^|_)ssn(_|$)|social_?security|national_?id|tax_?id|passport|driver_?licen[cs]e|(^|_)nin(_|$)/ },
  { kind: 'birth-date', pattern: /birth|(^|_)dob(_|$)/ },
];

const NUMERIC_TYPES = /^(u?int\d|numeric|float4|float8|money|oid|bool|bit|varbit|year)$/;
const TEMPORAL_TYPES = /^(date|time|timetz|timestamp|timestamptz|interval)$/;

/**
 * Whether a name rule may flag a column of this type: keys, ids and numbers are never personal by name
 * alone (`address_id` is an integer that joins to an address; flagging it proposed dropping every row),
 * and a date is personal only as a birth date. Content detectors still read what the name rules skip.
 */
export function nameRuleFits(kind: SensitiveKind, column: { baseType: string }, isKey: boolean): boolean {
  if (isKey) return false;
  const base = column.baseType;
  if (NUMERIC_TYPES.test(base)) return false;
  if (TEMPORAL_TYPES.test(base)) return kind === 'birth-date';
  if (base === 'uuid') return kind === 'token';
  return true;
}

/** `firstName`, `First-Name` and `first_name` all become `first_name`. */
export function normalizeColumnName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}
