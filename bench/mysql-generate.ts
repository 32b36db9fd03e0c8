import mysql from 'mysql2/promise';

/**
 * The MySQL/MariaDB benchmark database: a shop of the same shape as the PostgreSQL one (customers,
 * products, orders and their items, reviews, an audit log), with what a MySQL schema usually holds:
 * AUTO_INCREMENT keys, unique and secondary indexes (some over two columns), foreign keys (one
 * nullable), varchar and text, decimals, doubles, dates, DATETIME(6) and TIMESTAMP(3), an ENUM, JSON and
 * blobs. About 4 M rows at scale 1 (≈ 0.9 GB on disk). Deterministic (MD5 and CRC32 of the row number,
 * no RAND()), so two machines get the same bytes; MariaDB only (its SEQUENCE engine, `seq_1_to_N`).
 */
export function mysqlGenerationScript(scale: number): string[] {
  const n = (rows: number) => Math.max(10, Math.round(rows * scale));
  const customers = n(250_000);
  const products = n(40_000);
  const orders = n(1_000_000);
  const items = n(2_200_000);
  const reviews = n(150_000);
  const audit = n(400_000);
  const word = (seed: string, length: number) => `CONCAT(UCASE(LEFT(MD5(${seed}), 1)), SUBSTR(MD5(${seed}), 2, ${length - 1}))`;
  return [
    `CREATE TABLE customers (
       id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
       email varchar(120) NOT NULL,
       first_name varchar(40) NOT NULL,
       last_name varchar(40) NOT NULL,
       phone varchar(30) DEFAULT NULL,
       address text,
       birth_date date DEFAULT NULL,
       balance decimal(12,2) NOT NULL DEFAULT 0.00,
       created_at datetime(6) NOT NULL,
       updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       preferences json DEFAULT NULL,
       UNIQUE KEY customers_email (email),
       KEY customers_name (last_name, first_name),
       KEY customers_created (created_at)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `INSERT INTO customers SELECT seq, CONCAT('user', seq, '@', SUBSTR(MD5(seq), 1, 8), '.example.com'),
       ${word("CONCAT('f', seq)", 7)}, ${word("CONCAT('l', seq)", 9)},
       IF(seq % 10 = 0, NULL, CONCAT('+1-555-', LPAD(seq % 10000000, 7, '0'))),
       CONCAT(seq % 9999, ' ', ${word("CONCAT('s', seq)", 10)}, ' Street, ', ${word("CONCAT('c', seq)", 8)}),
       IF(seq % 7 = 0, NULL, '1950-01-01' + INTERVAL (seq * 37) % 20000 DAY),
       ((seq * 7919) % 1000000) / 100.0,
       '2015-01-01' + INTERVAL (seq * 97) % 300000000 SECOND + INTERVAL (seq % 1000000) MICROSECOND,
       '2020-01-01' + INTERVAL (seq * 13) % 100000000 SECOND,
       JSON_OBJECT('newsletter', seq % 2 = 0, 'language', ELT(seq % 4 + 1, 'en', 'fr', 'de', 'es'), 'tags', JSON_ARRAY(SUBSTR(MD5(CONCAT('t', seq)), 1, 5), seq % 17))
     FROM seq_1_to_${customers}`,
    `CREATE TABLE products (
       id int NOT NULL PRIMARY KEY,
       sku char(12) NOT NULL,
       name varchar(120) NOT NULL,
       description text,
       price decimal(10,2) NOT NULL,
       weight_kg double DEFAULT NULL,
       thumbnail blob,
       created_at datetime NOT NULL,
       UNIQUE KEY products_sku (sku)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    // A thumbnail of 256 to 2,048 bytes of binary (every byte value appears).
    `INSERT INTO products SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), ${word("CONCAT('p', seq)", 14)},
       REPEAT(CONCAT(MD5(CONCAT('d', seq)), ' '), 1 + seq % 6), (seq % 50000) / 100.0 + 1,
       IF(seq % 5 = 0, NULL, (seq % 9973) / 113.0),
       REPEAT(UNHEX(CONCAT(MD5(seq), MD5(seq + 1))), 8 * (1 + seq % 8)),
       '2010-01-01' + INTERVAL (seq * 101) % 400000000 SECOND
     FROM seq_1_to_${products}`,
    `CREATE TABLE orders (
       id bigint unsigned NOT NULL PRIMARY KEY,
       customer_id int unsigned NOT NULL,
       status enum('new','paid','shipped','delivered','cancelled') NOT NULL,
       total decimal(14,2) NOT NULL,
       currency char(3) NOT NULL DEFAULT 'EUR',
       created_at datetime NOT NULL,
       shipped_at datetime DEFAULT NULL,
       note varchar(255) DEFAULT NULL,
       KEY orders_customer (customer_id),
       KEY orders_status_created (status, created_at),
       CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `INSERT INTO orders SELECT seq, 1 + (seq * 7919) % ${customers}, ELT(seq % 5 + 1, 'new', 'paid', 'shipped', 'delivered', 'cancelled'),
       ((seq * 31) % 100000) / 100.0, ELT(seq % 3 + 1, 'EUR', 'USD', 'GBP'),
       '2018-01-01' + INTERVAL (seq * 13) % 200000000 SECOND,
       IF(seq % 5 >= 2, '2018-01-03' + INTERVAL (seq * 13) % 200000000 SECOND, NULL),
       IF(seq % 11 = 0, CONCAT('leave at the door ', SUBSTR(MD5(seq), 1, 12)), NULL)
     FROM seq_1_to_${orders}`,
    `CREATE TABLE order_items (
       order_id bigint unsigned NOT NULL,
       line smallint NOT NULL,
       product_id int NOT NULL,
       quantity int NOT NULL,
       unit_price decimal(10,2) NOT NULL,
       discount decimal(5,2) DEFAULT NULL,
       PRIMARY KEY (order_id, line),
       KEY order_items_product (product_id),
       CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
       CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `INSERT INTO order_items SELECT 1 + (seq - 1) % ${orders}, 1 + (seq - 1) DIV ${orders}, 1 + (seq * 104729) % ${products},
       1 + seq % 9, ((seq * 17) % 50000) / 100.0, IF(seq % 4 = 0, (seq % 3000) / 100.0, NULL)
     FROM seq_1_to_${items}`,
    `CREATE TABLE reviews (
       id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
       product_id int NOT NULL,
       customer_id int unsigned NOT NULL,
       rating tinyint NOT NULL,
       title varchar(200) NOT NULL,
       body text NOT NULL,
       created_at datetime NOT NULL,
       KEY reviews_product (product_id, created_at),
       KEY reviews_customer (customer_id),
       CONSTRAINT reviews_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
       CONSTRAINT reviews_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    // Bodies of 200 to 1,000 characters, with quotes, a backslash and a newline: what escaping is for.
    `INSERT INTO reviews SELECT seq, 1 + (seq * 7907) % ${products}, 1 + (seq * 104723) % ${customers}, 1 + seq % 5,
       CONCAT('It''s ', ${word("CONCAT('r', seq)", 12)}),
       CONCAT(REPEAT(CONCAT(MD5(CONCAT('b', seq)), ' "quoted" '), 5 + seq % 20), '\\\\ end\\nline two'),
       '2019-01-01' + INTERVAL (seq * 53) % 150000000 SECOND
     FROM seq_1_to_${reviews}`,
    `CREATE TABLE audit_log (
       id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
       customer_id int unsigned DEFAULT NULL,
       actor_email varchar(120) NOT NULL,
       actor_name varchar(60) NOT NULL,
       ip varchar(45) NOT NULL,
       action varchar(20) NOT NULL,
       at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       payload longtext NOT NULL,
       KEY audit_log_customer (customer_id, at),
       CONSTRAINT audit_log_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `INSERT INTO audit_log SELECT seq, IF(seq % 9 = 0, NULL, 1 + (seq * 15485863) % ${customers}),
       CONCAT('staff', seq % 300, '@corp.example.com'), ${word("CONCAT('a', seq % 300)", 8)},
       CONCAT('10.', seq % 256, '.', (seq DIV 256) % 256, '.', (seq DIV 65536) % 256),
       ELT(seq % 4 + 1, 'login', 'update', 'export', 'delete'),
       '2021-01-01' + INTERVAL (seq * 7) % 90000000 SECOND + INTERVAL (seq % 1000) * 1000 MICROSECOND,
       JSON_OBJECT('request', MD5(seq), 'changes', JSON_ARRAY(JSON_OBJECT('field', 'email', 'from', MD5(CONCAT('x', seq)), 'to', MD5(CONCAT('y', seq)))), 'ok', seq % 10 <> 0)
     FROM seq_1_to_${audit}`,
  ];
}

const MARKER_TABLE = 'audit_log';

/** Creates (or reuses, when it is complete) the MySQL benchmark database of this scale. */
export async function ensureMysqlBenchDatabase(adminUri: string, name: string, scale: number, log: (line: string) => void): Promise<void> {
  const admin = await mysql.createConnection({ uri: adminUri, multipleStatements: false });
  try {
    const [marked] = await admin.query<mysql.RowDataPacket[]>('SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [name, MARKER_TABLE]);
    if (marked[0]?.c === `bench scale ${scale}`) {
      log(`reusing database ${name}`);
      return;
    }
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.query(`USE \`${name}\``);
    // The rows go in with checks off, each table in one transaction (MariaDB then builds its indexes
    // by sorting); the keys hold by construction, which the benchmark's restore check counts anyway.
    await admin.query("SET SESSION time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0");
    const started = Date.now();
    for (const statement of mysqlGenerationScript(scale)) {
      log(`  ${statement.split('\n')[0]!.slice(0, 70)}`);
      if (statement.startsWith('INSERT')) {
        await admin.query('BEGIN');
        await admin.query(statement);
        await admin.query('COMMIT');
      } else {
        await admin.query(statement);
      }
    }
    await admin.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
    for (const table of ['customers', 'products', 'orders', 'order_items', 'reviews', 'audit_log']) await admin.query(`ANALYZE TABLE \`${table}\``);
    await admin.query(`ALTER TABLE ${MARKER_TABLE} COMMENT = 'bench scale ${scale}'`);
    log(`generated ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await admin.end();
  }
}
