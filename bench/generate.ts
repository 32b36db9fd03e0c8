import pg from 'pg';

/**
 * A database of realistic shape for the benchmark: customers, products, orders and their items (foreign
 * keys between them), an audit log of JSON documents, and a wide event table of 30 mixed columns.
 * Text, jsonb, numeric and timestamps everywhere; `scale` 1 is about 1 GB on disk. Deterministic
 * (md5 of the row number, no random()), so two machines get the same bytes.
 */
export function generationScript(scale: number): string[] {
  const n = (rows: number) => Math.max(10, Math.round(rows * scale));
  const customers = n(500_000);
  const products = n(50_000);
  const orders = n(2_000_000);
  const items = n(5_000_000);
  const events = n(400_000);
  const audit = n(600_000);
  const wideColumns = Array.from({ length: 24 }, (_, i) => {
    const kind = ['int', 'text', 'numeric(14,4)', 'timestamptz', 'boolean', 'double precision'][i % 6]!;
    return `c${i} ${kind}`;
  }).join(', ');
  const wideValues = Array.from({ length: 24 }, (_, i) => {
    switch (i % 6) {
      case 0: return `(g * ${i + 7}) % 100003`;
      case 1: return `substr(md5(g::text || '${i}'), 1, ${8 + i})`;
      case 2: return `((g * ${i + 3}) % 1000000) / 97.0`;
      case 3: return `timestamptz '2020-01-01' + make_interval(secs => (g * ${i + 11}) % 100000000)`;
      case 4: return `(g + ${i}) % 3 = 0`;
      default: return `((g * ${i + 5}) % 99991) / 7.0`;
    }
  }).join(', ');
  return [
    `CREATE TABLE customers (
       id bigint PRIMARY KEY, email text NOT NULL, first_name text, last_name text, phone text,
       address text, created_at timestamptz NOT NULL, preferences jsonb)`,
    `INSERT INTO customers SELECT g, 'user' || g || '@' || substr(md5(g::text), 1, 8) || '.example.com',
       initcap(substr(md5('f' || g), 1, 7)), initcap(substr(md5('l' || g), 1, 9)), '+1-555-' || lpad((g % 10000000)::text, 7, '0'),
       (g % 9999) || ' ' || initcap(substr(md5('s' || g), 1, 10)) || ' Street, ' || initcap(substr(md5('c' || g), 1, 8)),
       timestamptz '2015-01-01' + make_interval(secs => g * 97 % 300000000),
       jsonb_build_object('newsletter', g % 2 = 0, 'language', (ARRAY['en','fr','de','es'])[g % 4 + 1], 'tags', jsonb_build_array(substr(md5('t' || g), 1, 5), g % 17))
     FROM generate_series(1::bigint, ${customers}) g`,
    `CREATE TABLE products (
       id int PRIMARY KEY, sku text UNIQUE NOT NULL, name text NOT NULL, description text,
       price numeric(12,2) NOT NULL, attributes jsonb)`,
    `INSERT INTO products SELECT g, 'SKU-' || lpad(g::text, 8, '0'), initcap(substr(md5('p' || g), 1, 12)),
       repeat(md5('d' || g) || ' ', (1 + g % 4)::int), (g % 50000) / 100.0 + 1,
       jsonb_build_object('color', (ARRAY['red','green','blue','black'])[g % 4 + 1], 'weight_g', g % 5000, 'dimensions', jsonb_build_array(g % 50, g % 70, g % 90))
     FROM generate_series(1::bigint, ${products}) g`,
    `CREATE TABLE orders (
       id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL,
       total numeric(14,2) NOT NULL, created_at timestamptz NOT NULL, shipped_at timestamptz)`,
    `INSERT INTO orders SELECT g, 1 + (g * 7919) % ${customers}, (ARRAY['new','paid','shipped','delivered','cancelled'])[g % 5 + 1],
       (g * 31 % 100000) / 100.0, timestamptz '2018-01-01' + make_interval(secs => g * 13 % 200000000),
       CASE WHEN g % 5 >= 2 THEN timestamptz '2018-01-03' + make_interval(secs => g * 13 % 200000000) END
     FROM generate_series(1::bigint, ${orders}) g`,
    `CREATE TABLE order_items (
       order_id bigint NOT NULL REFERENCES orders, line int NOT NULL, product_id int NOT NULL REFERENCES products,
       quantity int NOT NULL, unit_price numeric(12,2) NOT NULL, note text, PRIMARY KEY (order_id, line))`,
    `INSERT INTO order_items SELECT 1 + (g - 1) % ${orders}, 1 + (g - 1) / ${orders}, 1 + (g * 104729) % ${products},
       1 + g % 9, (g * 17 % 50000) / 100.0, CASE WHEN g % 7 = 0 THEN 'gift wrap ' || substr(md5(g::text), 1, 6) END
     FROM generate_series(1::bigint, ${items}) g`,
    `CREATE TABLE audit_log (
       id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, actor_email text, actor_name text, ip text,
       action text NOT NULL, at timestamptz NOT NULL, payload jsonb NOT NULL)`,
    `INSERT INTO audit_log SELECT g, 1 + (g * 15485863) % ${customers}, 'staff' || (g % 300) || '@corp.example.com',
       initcap(substr(md5('a' || (g % 300)), 1, 8)), '10.' || (g % 256) || '.' || (g / 256 % 256) || '.' || (g / 65536 % 256),
       (ARRAY['login','update','export','delete'])[g % 4 + 1], timestamptz '2021-01-01' + make_interval(secs => g * 7 % 90000000),
       jsonb_build_object('request', md5(g::text), 'changes', jsonb_build_array(jsonb_build_object('field', 'email', 'from', md5('x' || g), 'to', md5('y' || g))), 'ok', g % 10 <> 0)
     FROM generate_series(1::bigint, ${audit}) g`,
    `CREATE TABLE events (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, kind text NOT NULL, ${wideColumns})`,
    `INSERT INTO events SELECT g, 1 + (g * 104723) % ${customers}, (ARRAY['view','click','cart','buy'])[g % 4 + 1], ${wideValues}
     FROM generate_series(1::bigint, ${events}) g`,
    'CREATE INDEX orders_customer ON orders (customer_id)',
    'CREATE INDEX orders_created ON orders (created_at)',
    'CREATE INDEX order_items_product ON order_items (product_id)',
    'CREATE INDEX audit_log_customer ON audit_log (customer_id, at)',
    'CREATE INDEX events_customer ON events (customer_id)',
    'CREATE INDEX customers_email ON customers (lower(email))',
    // Freeze and set hint bits now: otherwise the first command measured pays for writing them.
    'VACUUM (FREEZE, ANALYZE)',
  ];
}

/** Creates (or reuses, when it is complete) the benchmark database of this scale. */
export async function ensureBenchDatabase(adminUri: string, name: string, scale: number, log: (line: string) => void): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUri });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0;
    if (exists) {
      const db = new pg.Client({ connectionString: withDatabase(adminUri, name) });
      await db.connect();
      const done = await db.query("SELECT obj_description('events'::regclass) AS d").then((r) => r.rows[0]?.d === `bench scale ${scale}`, () => false);
      await db.end();
      if (done) {
        log(`reusing database ${name}`);
        return;
      }
      await admin.query(`DROP DATABASE ${name}`);
    }
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: withDatabase(adminUri, name) });
  await db.connect();
  try {
    const started = Date.now();
    for (const statement of generationScript(scale)) {
      log(`  ${statement.split('\n')[0]!.slice(0, 70)}`);
      await db.query(statement);
    }
    await db.query(`COMMENT ON TABLE events IS 'bench scale ${scale}'`);
    log(`generated ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.end();
  }
}

export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}
