import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingReporter, createDump, restoreDump } from '../../../src/index.js';
import { createMysqlDatabase, MYSQL_ADMIN_URI, type MysqlTestDatabase } from '../../support/mysql.js';
import { describeMysqlSchema, mysqlColumnDigest, mysqlColumns, mysqlRowCounts } from '../../support/mysql-compare.js';
import { checkMysqlForeignKeys } from '../../support/mysql-foreign-keys.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMEOUT = 280_000;

/**
 * Every kind of key the restore takes out of CREATE TABLE and adds after the rows (deferred-keys.ts), and
 * what it leaves in: unique and composite and prefix indexes, a foreign key to the table itself, to a
 * unique key that is not the primary key, over two columns, one whose index InnoDB made by itself, ON
 * DELETE actions; FULLTEXT and CHECK stay in CREATE TABLE; a table without a primary key is left whole.
 * Rows enough for several INSERT statements per table.
 */
const SCHEMA = `
  CREATE TABLE regions (code char(2) NOT NULL PRIMARY KEY, name varchar(40) NOT NULL, UNIQUE KEY regions_name (name)) ENGINE=InnoDB;
  CREATE TABLE customers (
    id int NOT NULL AUTO_INCREMENT PRIMARY KEY, region char(2) NOT NULL, region_name varchar(40) DEFAULT NULL,
    email varchar(80) NOT NULL, referrer_id int DEFAULT NULL, bio text,
    UNIQUE KEY customers_email (email), KEY customers_region_email (region, email(10)), FULLTEXT KEY customers_bio (bio),
    CONSTRAINT customers_region FOREIGN KEY (region) REFERENCES regions (code),
    CONSTRAINT customers_region_name FOREIGN KEY (region_name) REFERENCES regions (name),
    CONSTRAINT customers_referrer FOREIGN KEY (referrer_id) REFERENCES customers (id) ON DELETE SET NULL,
    CONSTRAINT customers_email_shape CHECK (email LIKE '%@%')) ENGINE=InnoDB;
  CREATE TABLE products (sku varchar(12) NOT NULL, variant smallint NOT NULL, price decimal(10,2) NOT NULL, image blob,
    PRIMARY KEY (sku, variant), KEY products_price (price)) ENGINE=InnoDB;
  CREATE TABLE orders (id bigint NOT NULL PRIMARY KEY, customer_id int NOT NULL, created_at datetime(6) NOT NULL, note varchar(200),
    KEY orders_created (created_at), CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE) ENGINE=InnoDB;
  CREATE TABLE order_lines (order_id bigint NOT NULL, line int NOT NULL, sku varchar(12) NOT NULL, variant smallint NOT NULL, qty int NOT NULL,
    PRIMARY KEY (order_id, line),
    CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT lines_product FOREIGN KEY (sku, variant) REFERENCES products (sku, variant)) ENGINE=InnoDB;
  CREATE TABLE tags (name varchar(30) NOT NULL, customer_id int DEFAULT NULL, UNIQUE KEY tags_name (name),
    CONSTRAINT tags_customer FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB;
  CREATE TABLE returns (order_id bigint NOT NULL PRIMARY KEY, reason varchar(40), CONSTRAINT returns_order FOREIGN KEY (order_id) REFERENCES orders (id)) ENGINE=InnoDB;
  CREATE VIEW big_orders AS SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id % 100 = 0;
  CREATE TRIGGER orders_note BEFORE INSERT ON orders FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'new');
  INSERT INTO regions VALUES ('eu', 'Europe'), ('us', 'United States'), ('as', 'Asia'), ('af', 'Africa'), ('oc', 'Oceania');
  INSERT INTO customers (id, region, region_name, email, referrer_id, bio)
    SELECT seq, ELT(1 + seq % 5, 'eu', 'us', 'as', 'af', 'oc'), IF(seq % 3 = 0, NULL, ELT(1 + seq % 5, 'Europe', 'United States', 'Asia', 'Africa', 'Oceania')),
      CONCAT('user', seq, '@example.com'), IF(seq % 4 = 0 OR seq = 1, NULL, seq - 1), REPEAT(CONCAT(MD5(seq), ' it''s\\n'), 8) FROM seq_1_to_3000;
  INSERT INTO products SELECT CONCAT('SKU', seq DIV 3), seq % 3, seq / 7, UNHEX(REPEAT(MD5(seq), 4)) FROM seq_0_to_599;
  INSERT INTO orders SELECT seq, 1 + (seq * 7) % 3000, '2024-01-01' + INTERVAL seq MINUTE + INTERVAL seq MICROSECOND, IF(seq % 2 = 0, NULL, REPEAT('n', seq % 150)) FROM seq_1_to_8000;
  INSERT INTO order_lines SELECT 1 + (seq - 1) % 8000, 1 + (seq - 1) DIV 8000, CONCAT('SKU', (seq * 13) % 600 DIV 3), (seq * 13) % 3, 1 + seq % 5 FROM seq_1_to_20000;
  INSERT INTO tags SELECT CONCAT('tag', seq), IF(seq % 2 = 0, seq, NULL) FROM seq_1_to_50;
`;

describe('a MySQL restore over several connections, indexes and foreign keys after the rows', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;
  const targets: MysqlTestDatabase[] = [];

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('conn_src'), createWorkspace()]);
    await source.sql(SCHEMA);
    await createDump(config(source.uri), { name: 'shop' });
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove(), ...targets.map((t) => t.drop())]);
  });

  function config(destination: string) {
    return workspace.config(`source:\n  connection_uri: ${source.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${destination}\n`);
  }

  async function target(label: string): Promise<MysqlTestDatabase> {
    const db = await createMysqlDatabase(label);
    targets.push(db);
    return db;
  }

  for (const jobs of [3, 1]) {
    it(`--jobs ${jobs}: every table, row, index and foreign key as in the source, each key enforced afterwards`, { timeout: TIMEOUT }, async () => {
      const db = await target(`conn_j${jobs}`);
      const reporter = new CollectingReporter();
      const summary = await restoreDump(config(db.uri), { value: 'shop', jobs, reporter });
      expect(summary.rows).toBe(3000 + 600 + 8000 + 20000 + 50 + 5);
      if (jobs > 1) expect(reporter.lines).toContain('loading 7 tables over 3 connections');
      else expect(reporter.lines.join('\n')).not.toContain('connections');

      // SHOW CREATE TABLE of every table, view, trigger: the same indexes, in the same order, the same keys.
      expect(await describeMysqlSchema(db)).toEqual(await describeMysqlSchema(source));
      expect(await mysqlRowCounts(db)).toEqual(await mysqlRowCounts(source));
      for (const { table, column } of await mysqlColumns(source)) {
        expect(await mysqlColumnDigest(db, table, column), `${table}.${column}`).toBe(await mysqlColumnDigest(source, table, column));
      }
      const keys = await checkMysqlForeignKeys(db);
      expect(keys.map((k) => k.constraint).sort()).toEqual(['customers_referrer', 'customers_region', 'customers_region_name', 'lines_order', 'lines_product', 'orders_customer', 'returns_order', 'tags_customer']);
      expect(keys.filter((k) => k.orphans > 0)).toEqual([]);

      // AUTO_INCREMENT follows the loaded ids.
      await db.sql("INSERT INTO customers (region, email) VALUES ('us', 'next@example.com')");
      expect(await db.sql("SELECT id FROM customers WHERE email = 'next@example.com'")).toEqual([{ id: 3001 }]);
      // The keys hold for what is written next: checks are back on, as after any restore.
      const rejects = (sql: string) => db.sql(sql).then(() => 'accepted', (e: Error) => e.message);
      expect(await rejects("INSERT INTO order_lines VALUES (999999, 1, 'SKU1', 0, 1)")).toMatch(/foreign key constraint fails.*lines_order/);
      expect(await rejects("INSERT INTO order_lines VALUES (1, 99, 'NOPE', 0, 1)")).toMatch(/foreign key constraint fails.*lines_product/);
      expect(await rejects("INSERT INTO customers (region, region_name, email) VALUES ('eu', 'Atlantis', 'new@example.com')")).toMatch(/foreign key constraint fails.*customers_region_name/);
      expect(await rejects("INSERT INTO customers (region, email) VALUES ('eu', 'user7@example.com')")).toMatch(/Duplicate entry 'user7@example.com'/);
      expect(await rejects("INSERT INTO tags VALUES ('tag1', NULL)")).toMatch(/Duplicate entry 'tag1'/);
      expect(await rejects("INSERT INTO customers (region, email) VALUES ('eu', 'no-at-sign')")).toMatch(/CONSTRAINT `customers_email_shape` failed/);
      expect(await rejects("DELETE FROM regions WHERE code = 'eu'")).toMatch(/foreign key constraint fails/);
      // ON DELETE CASCADE and SET NULL, through two levels.
      const [before] = await db.sql<{ n: number }>('SELECT COUNT(*) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.customer_id = 8');
      expect(before!.n).toBeGreaterThan(0);
      await db.sql('DELETE FROM returns; DELETE FROM tags WHERE customer_id = 8; DELETE FROM customers WHERE id = 8');
      expect(await db.sql('SELECT COUNT(*) AS n FROM orders WHERE customer_id = 8')).toEqual([{ n: 0 }]);
      expect(await db.sql('SELECT referrer_id FROM customers WHERE id = 9')).toEqual([{ referrer_id: null }]);
      // The indexes are there to use, the full-text one included; the trigger fires again.
      expect(await db.sql("SELECT id FROM customers WHERE MATCH (bio) AGAINST ('8f14e45fceea167a5a36dedd4bea2543')")).toEqual([{ id: 7 }]);
      await db.sql("INSERT INTO orders (id, customer_id, created_at) VALUES (900000, 1, '2025-01-01')");
      expect(await db.sql('SELECT note FROM orders WHERE id = 900000')).toEqual([{ note: 'new' }]);
    });
  }

  it('a lost connection stops every connection and says what the destination holds', { timeout: TIMEOUT }, async () => {
    const big = await createMysqlDatabase('conn_bigsrc');
    targets.push(big);
    await big.sql(`
      CREATE TABLE parent (id int NOT NULL PRIMARY KEY, name varchar(20) NOT NULL, KEY parent_name (name)) ENGINE=InnoDB;
      CREATE TABLE big (id int NOT NULL PRIMARY KEY, parent_id int NOT NULL, payload varchar(255) NOT NULL, KEY big_payload (payload(20)),
        CONSTRAINT big_parent FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB;
      CREATE VIEW parents AS SELECT name FROM parent;
      INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_100;
      INSERT INTO big SELECT seq, 1 + seq % 100, REPEAT(MD5(seq), 6) FROM seq_1_to_150000;`);
    const db = await target('conn_lost');
    const yaml = `source:\n  connection_uri: ${big.uri}\ndatastore:\n  local_disk:\n    dir: ${workspace.storeDir}\ndestination:\n  connection_uri: ${db.uri}\n`;
    await createDump(workspace.config(yaml), { name: 'big' });
    const restore = restoreDump(workspace.config(yaml), { value: 'big', jobs: 2 }).then(
      () => new Error('the restore succeeded'),
      (error: Error) => error,
    );
    // Once part of big is in (parent, one statement, long done by then), the connection loading it is killed.
    await killConnectionWhen(db, 'INSERT INTO `big`%', 'SELECT COUNT(*) >= 30000 AS ready FROM big');
    const error = await restore;
    expect(error.message).toMatch(new RegExp(`connection to destination 127\\.0\\.0\\.1:3306/${db.name} was terminated by the server \\((PROTOCOL_CONNECTION_LOST|ER_CONNECTION_KILLED)\\)`));
    expect(error.message).toContain('holds a partial restore (MySQL commits as it goes): 1 of 2 tables hold all their rows (100 rows); secondary indexes not built on big; foreign keys not added on big; the post-data (routines, triggers, views, events) did not run; run the restore again with wipe_database: true');
    expect(await connectionsOf(db.name)).toBe(0);
    // As said: parent complete with its index, big without its index and key, no view.
    expect(await db.sql("SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' GROUP BY TABLE_NAME ORDER BY TABLE_NAME")).toEqual([{ n: 1 }]);
    expect(await db.sql('SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()')).toEqual([{ n: 0 }]);
    expect(await db.sql("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'VIEW'")).toEqual([{ n: 0 }]);
  });
});

/** Waits (bounded) until `ready` says so and a connection of the database runs a query like `infoLike`, and kills it. */
async function killConnectionWhen(db: MysqlTestDatabase, infoLike: string, ready: string, timeoutMs = 120_000): Promise<void> {
  const admin = await mysql.createConnection(MYSQL_ADMIN_URI);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await db.sql<{ ready: number }>(ready).catch(() => [{ ready: 0 }]);
      const [rows] = Number(state[0]?.ready) === 1 ? await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE ? LIMIT 1', [db.name, infoLike]) : [[]];
      if (rows[0]) {
        await admin.query(`KILL CONNECTION ${Number(rows[0].id)}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`no connection on ${db.name} running ${infoLike} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await admin.end();
  }
}

async function connectionsOf(database: string): Promise<number> {
  const admin = await mysql.createConnection(MYSQL_ADMIN_URI);
  try {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [database]);
    return Number(rows[0]!.n);
  } finally {
    await admin.end();
  }
}
