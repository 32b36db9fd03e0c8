import { englishFaker } from '../transformers/seeded-faker.js';
import type pg from 'pg';

/**
 * The demo's shop: customers with the personal data a real one holds (names, emails, phones, addresses,
 * cards, IBANs, IPs), products, and orders that reference both. Seeded, so every run shows the same rows.
 */
export const SAMPLE_SCHEMA = `
CREATE TABLE customers (
  id serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email varchar(120) NOT NULL UNIQUE,
  phone text,
  street_address text,
  city text,
  card_number varchar(25),
  iban text,
  last_login_ip inet,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
  id serial PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  name text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents > 0),
  in_stock boolean NOT NULL DEFAULT true
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id),
  product_id integer NOT NULL REFERENCES products(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  shipping_address text,
  status text NOT NULL,
  ordered_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders(customer_id);
`;

export interface SampleSize {
  customers: number;
  products: number;
  orders: number;
}

export const DEFAULT_SAMPLE_SIZE: SampleSize = { customers: 500, products: 60, orders: 2000 };

export async function loadSampleDataset(client: pg.Client, size: SampleSize = DEFAULT_SAMPLE_SIZE): Promise<void> {
  const faker = englishFaker();
  faker.seed(42);
  const reference = new Date('2026-01-01T00:00:00Z');
  await client.query(SAMPLE_SCHEMA);
  await insertRows(client, 'customers', ['first_name', 'last_name', 'email', 'phone', 'street_address', 'city', 'card_number', 'iban', 'last_login_ip', 'created_at'],
    Array.from({ length: size.customers }, (_, index) => {
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      return [
        first,
        last,
        `${faker.internet.email({ firstName: first, lastName: last }).replace('@', `.${index}@`)}`,
        faker.phone.number({ style: 'international' }),
        faker.location.streetAddress(),
        faker.location.city(),
        faker.finance.creditCardNumber({ issuer: '4###-####-####-###L' }),
        faker.finance.iban({ formatted: false }),
        faker.internet.ipv4(),
        faker.date.past({ years: 3, refDate: reference }).toISOString(),
      ];
    }));
  await insertRows(client, 'products', ['sku', 'name', 'price_cents'],
    Array.from({ length: size.products }, (_, index) => [`SKU-${String(index + 1).padStart(5, '0')}`, faker.commerce.productName(), faker.number.int({ min: 100, max: 50_000 })]));
  await insertRows(client, 'orders', ['customer_id', 'product_id', 'quantity', 'shipping_address', 'status', 'ordered_at'],
    Array.from({ length: size.orders }, () => [
      faker.number.int({ min: 1, max: size.customers }),
      faker.number.int({ min: 1, max: size.products }),
      faker.number.int({ min: 1, max: 5 }),
      `${faker.location.streetAddress()}, ${faker.location.city()}`,
      faker.helpers.arrayElement(['paid', 'shipped', 'delivered', 'refunded']),
      faker.date.past({ years: 2, refDate: reference }).toISOString(),
    ]));
  await client.query('ANALYZE');
}

/** Multi-row INSERTs of at most 500 rows, with parameters (never values spliced into SQL). */
async function insertRows(client: pg.Client, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500);
    const values = batch.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, batch.flat());
  }
}
