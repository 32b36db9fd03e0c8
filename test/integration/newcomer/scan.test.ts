import { base, en, Faker } from '@faker-js/faker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

/** 20 columns that hold personal data or secrets, 20 that do not; 7 of the sensitive ones have neutral names. */
const SENSITIVE = [
  'email', 'mobile', 'first_name', 'surname', 'billing_address', 'zip_code', 'card_number', 'iban', 'last_ip', 'api_token',
  'password_hash', 'date_of_birth', 'ssn', 'contact', 'reach_at', 'holder', 'payment_ref', 'payout_account', 'origin', 'credential',
];
const HARMLESS = [
  'id', 'sku', 'product_name', 'status', 'quantity', 'price', 'currency', 'created_at', 'is_active', 'color',
  'country_code', 'description', 'order_number', 'public_id', 'category', 'weight_grams', 'rating', 'tags', 'app_version', 'file_checksum',
];

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('scan');
  await db.sql(`
    CREATE TABLE accounts (
      id serial PRIMARY KEY, email text, mobile text, first_name text, surname text, billing_address text, zip_code text,
      card_number varchar(19), iban text, last_ip inet, api_token text, password_hash text, date_of_birth date, ssn text,
      contact text, reach_at text, holder text, payment_ref text, payout_account text, origin text, credential text,
      status text, created_at timestamptz, is_active boolean, country_code char(2), public_id uuid, app_version text
    );
    CREATE TABLE products (
      sku text PRIMARY KEY, product_name text, quantity integer, price numeric(10,2), currency text, color text, description text,
      order_number text, category text, weight_grams integer, rating numeric(3,1), tags text[], file_checksum text
    );`);
  const faker = new Faker({ locale: [en, base] });
  faker.seed(7);
  const accounts: unknown[][] = [];
  const products: unknown[][] = [];
  for (let i = 0; i < 120; i += 1) {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    accounts.push([
        faker.internet.email({ firstName: first, lastName: last }),
        faker.phone.number({ style: 'international' }),
        first,
        last,
        faker.location.streetAddress(),
        faker.location.zipCode(),
        faker.finance.creditCardNumber({ issuer: '5###-####-####-###L' }),
        faker.finance.iban({ formatted: i % 2 === 0 }),
        faker.internet.ipv4(),
        faker.string.alphanumeric(40),
        `$2b$10$${faker.string.alphanumeric(53)}`,
        faker.date.birthdate().toISOString().slice(0, 10),
        `${faker.string.numeric(3)}-${faker.string.numeric(2)}-${faker.string.numeric(4)}`,
        faker.internet.email(),
        faker.phone.number({ style: 'national' }),
        `${faker.person.firstName()} ${faker.person.lastName()}`,
        faker.finance.creditCardNumber({ issuer: '4### #### #### ###L' }),
        faker.finance.iban(),
        i % 3 === 0 ? faker.internet.ipv6() : faker.internet.ipv4(),
        faker.string.alphanumeric(32),
        faker.helpers.arrayElement(['active', 'suspended', 'closed']),
        faker.date.past().toISOString(),
        faker.datatype.boolean(),
        faker.location.countryCode(),
        faker.string.uuid(),
        faker.system.semver(),
    ]);
    products.push([
        `SKU-${String(i).padStart(6, '0')}`,
        faker.commerce.productName(),
        faker.number.int({ min: 0, max: 500 }),
        faker.commerce.price(),
        faker.finance.currencyCode(),
        faker.color.human(),
        faker.commerce.productDescription(),
        `ORD-2025-${String(100000 + i)}`,
        faker.commerce.department(),
        faker.number.int({ min: 10, max: 20000 }),
        faker.number.float({ min: 1, max: 5, fractionDigits: 1 }),
        faker.helpers.arrayElements(['new', 'sale', 'eco', 'bundle'], { min: 0, max: 2 }),
        faker.string.hexadecimal({ length: 32, prefix: '', casing: 'lower' }),
    ]);
  }
  await db.sql(
    `INSERT INTO accounts (email, mobile, first_name, surname, billing_address, zip_code, card_number, iban, last_ip, api_token, password_hash,
       date_of_birth, ssn, contact, reach_at, holder, payment_ref, payout_account, origin, credential, status, created_at, is_active, country_code, public_id, app_version)
     VALUES ${placeholders(accounts)}`,
    accounts.flat(),
  );
  await db.sql(`INSERT INTO products VALUES ${placeholders(products)}`, products.flat());
});

function placeholders(rows: unknown[][]): string {
  let n = 0;
  return rows.map((row) => `(${row.map(() => `$${++n}`).join(', ')})`).join(', ');
}

afterAll(async () => {
  await db?.drop();
});

describe('source scan', () => {
  it('finds at least 18 of 20 sensitive columns and flags at most 2 of 20 harmless ones', async () => {
    const result = await runCli(['source', 'scan', '--uri', db.uri, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const findings = (JSON.parse(result.stdout) as { findings: Array<{ column: string; kind: string; reason: string; transformer?: string }> }).findings;
    const flagged = new Set(findings.map((f) => f.column));
    const found = SENSITIVE.filter((c) => flagged.has(c));
    const falseAlarms = HARMLESS.filter((c) => flagged.has(c));
    // The figures, printed so that a regression shows what changed.
    console.log(`scan: ${found.length}/20 sensitive found (missed: ${SENSITIVE.filter((c) => !flagged.has(c)).join(', ') || 'none'}); ${falseAlarms.length}/20 harmless flagged (${falseAlarms.join(', ') || 'none'})`);
    expect(found.length).toBeGreaterThanOrEqual(18);
    expect(falseAlarms.length).toBeLessThanOrEqual(2);
    // Content alone finds what a neutral name hides.
    expect(findings.find((f) => f.column === 'payment_ref')).toMatchObject({ kind: 'card' });
    expect(findings.find((f) => f.column === 'payout_account')).toMatchObject({ kind: 'iban' });
    expect(findings.find((f) => f.column === 'contact')?.reason).toMatch(/email addresses/);
  });

  it('prints a transformers block that the config accepts, each column with its reason', async () => {
    const result = await runCli(['source', 'scan', '--uri', db.uri]);
    expect(result.code).toBe(0);
    const block = parse(result.stdout) as { source: { transformers: Array<{ table: string; columns: Array<{ name: string; transformer_name: string }> }> } };
    const accounts = block.source.transformers.find((t) => t.table === 'accounts')!;
    expect(accounts.columns.find((c) => c.name === 'email')?.transformer_name).toBe('email');
    expect(accounts.columns.find((c) => c.name === 'first_name')?.transformer_name).toBe('first-name');
    expect(result.stdout).toMatch(/- name: card_number\n\s+transformer_name: \S+ {2}# card: column name "card_number" suggests card; \d+\/120 sampled values look like card numbers \(Luhn checksum\)/);
    // An inet column gets the transformer that writes IP addresses.
    expect(accounts.columns.find((c) => c.name === 'last_ip')?.transformer_name).toBe('ip-address');
    // An IBAN column gets a valid fake IBAN, no longer a redaction.
    expect(accounts.columns.find((c) => c.name === 'iban')?.transformer_name).toBe('iban');
  });

  it('replibyte init writes a starter config from the scan that config check accepts against the same source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replibyte-init-'));
    try {
      const path = join(dir, 'conf.yaml');
      const init = await runCli(['init', '--uri', db.uri, '-o', path]);
      expect(init.code).toBe(0);
      const text = await readFile(path, 'utf8');
      expect(text).toMatch(/connection_uri: \$SOURCE_DATABASE_URL/);
      expect(text).not.toContain(db.uri);
      // The starter config stores dumps in ./dumps, which must exist: config check now checks the datastore.
      const refused = await runCli(['-c', path, 'config', 'check'], { cwd: dir, env: { SOURCE_DATABASE_URL: db.uri, TRANSFORMER_SALT: 'test-salt' } });
      expect(refused.stderr).toMatch(/datastore\.local_disk\.dir: directory \.\/dumps does not exist/);
      await mkdir(join(dir, 'dumps'));
      const check = await runCli(['-c', path, 'config', 'check'], { cwd: dir, env: { SOURCE_DATABASE_URL: db.uri, TRANSFORMER_SALT: 'test-salt' } });
      expect(check.stderr).toMatch(/is ready \(checked against/);
      expect(check.code).toBe(0);
      const again = await runCli(['init', '--uri', db.uri, '-o', path]);
      expect(again.stderr).toMatch(/exists/);
      expect(again.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000); // three CLI runs: slow on a loaded machine
});
