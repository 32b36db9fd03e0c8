import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { runCli, type CliResult } from '../../support/cli.js';
import { createMysqlDatabase, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * Strict mode on a Pagila-like schema: every column of a dumped table must be transformed or kept, the
 * refusal names the undecided ones with a block that decides them, and `init` writes a config that passes.
 */
const PAGILA = `
  CREATE TABLE address (
    address_id serial PRIMARY KEY, address text NOT NULL, district text NOT NULL, postal_code text, phone text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE store (store_id serial PRIMARY KEY, address_id integer NOT NULL REFERENCES address, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE customer (
    customer_id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES store, first_name text NOT NULL, last_name text NOT NULL,
    email text, address_id integer NOT NULL REFERENCES address, username text UNIQUE, activebool boolean NOT NULL DEFAULT true,
    create_date date NOT NULL DEFAULT current_date, preferences jsonb, tags text[], last_update timestamptz DEFAULT now()
  );
  CREATE TABLE staff (
    staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, address_id integer NOT NULL REFERENCES address,
    email text, store_id integer NOT NULL REFERENCES store, username text NOT NULL, password text, active boolean NOT NULL DEFAULT true
  );
  CREATE TABLE payment (
    payment_id serial, customer_id integer NOT NULL REFERENCES customer, staff_id integer NOT NULL REFERENCES staff,
    amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id)
  ) PARTITION BY RANGE (payment_date);
  CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
  CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
  CREATE TABLE rental_log (id bigserial PRIMARY KEY, message text);
`;

const FIRST = ['Mary', 'Patricia', 'Linda', 'Barbara', 'Elizabeth', 'Jennifer', 'Maria', 'Susan', 'Margaret', 'Dorothy'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Jones', 'Brown', 'Davis', 'Miller', 'Wilson', 'Moore', 'Taylor'];

const PAGILA_ROWS = `
  INSERT INTO address (address, district, postal_code, phone)
    SELECT (100 + i) || ' ' || (ARRAY['Oak','Maple','Pine','Cedar','Elm'])[1 + i % 5] || ' Street', (ARRAY['Buenos Aires','Nagasaki','Gelderland','Hubei','Attika'])[1 + i % 5], lpad((10000 + i * 7)::text, 5, '0'), '+1 555 01' || lpad(i::text, 2, '0')
    FROM generate_series(1, 30) i;
  INSERT INTO store (address_id) VALUES (1), (2);
  INSERT INTO customer (store_id, first_name, last_name, email, address_id, username, preferences, tags)
    SELECT 1 + i % 2, (ARRAY[${FIRST.map((n) => `'${n}'`).join(',')}])[1 + i % 10], (ARRAY[${LAST.map((n) => `'${n}'`).join(',')}])[1 + i / 10 % 10],
      'customer' || i || '@sakilacustomer.org', 3 + i % 25, 'user_' || i, jsonb_build_object('newsletter', i % 2 = 0), ARRAY['vip']
    FROM generate_series(1, 40) i;
  INSERT INTO staff (first_name, last_name, address_id, email, store_id, username, password)
    VALUES ('Mike', 'Hillyer', 3, 'Mike.Hillyer@sakilastaff.com', 1, 'Mike', '8cb2237d0679ca88db6464eac60da96345513964'),
           ('Jon', 'Stephens', 4, 'Jon.Stephens@sakilastaff.com', 2, 'Jon', '8cb2237d0679ca88db6464eac60da96345513964');
  INSERT INTO payment (customer_id, staff_id, amount, payment_date)
    SELECT 1 + i % 40, 1 + i % 2, (i % 10) + 0.99, timestamptz '2022-01-01' + i * interval '11 hours' FROM generate_series(1, 100) i;
  INSERT INTO rental_log (message) SELECT 'rented film ' || i FROM generate_series(1, 5) i;
`;

const ENV = { TRANSFORMER_SALT: 'strict-test-salt' };

interface ScanJson {
  findings: Array<{ table: string; column: string; kind: string; transformer?: string }>;
  kept: Array<{ table: string; column: string; note: string }>;
}

/** The `source:` block a refusal proposes (the end of its stderr). */
function proposalOf(result: CliResult): string {
  const lines = result.stderr.split('\n');
  const start = lines.findIndex((line) => /^source: {3}# merge/.test(line));
  expect(start, result.stderr).toBeGreaterThan(-1);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith(' '));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** What a user does with the block: append its entries to the config's source.transformers and source.keep. */
function merge(configText: string, block: string): string {
  const document = parseDocument(configText);
  const proposed = (parse(block) as { source: { transformers?: unknown[]; keep?: unknown[] } }).source;
  for (const list of ['transformers', 'keep'] as const) {
    for (const item of proposed[list] ?? []) {
      if (!document.hasIn(['source', list])) document.setIn(['source', list], document.createNode([]));
      document.addIn(['source', list], document.createNode(item));
    }
  }
  return document.toString();
}

async function storedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('strict mode on PostgreSQL', () => {
  let db: TestDatabase;
  let ws: Workspace;

  beforeEach(async () => {
    db = await createTestDatabase('strict');
    ws = await createWorkspace();
    await db.sql(PAGILA);
    await db.sql(PAGILA_ROWS);
  });

  afterEach(async () => {
    await db?.drop();
    await ws?.remove();
  });

  const baseConfig = (extra = '') => `
salt: $TRANSFORMER_SALT
source:
  connection_uri: ${db.uri}
  skip_data:
    - { database: public, table: rental_log }
  transformers:
    - database: public
      table: customer
      columns:
        - name: email
          transformer_name: email
${extra}datastore:
  local_disk:
    dir: ${ws.storeDir}
`;

  it('the scan never flags keys or numbers by name, and proposes a username fake for usernames (pins the Pagila proposals)', async () => {
    const result = await runCli(['source', 'scan', '--uri', db.uri, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const scan = JSON.parse(result.stdout) as ScanJson;
    const finding = (table: string, column: string) => scan.findings.find((f) => f.table === table && f.column === column);
    // address_id is an integer foreign key: flagging it as an address proposed dropping every customer.
    for (const table of ['customer', 'staff', 'store', 'address']) expect(finding(table, 'address_id'), table).toBeUndefined();
    expect(finding('payment', 'amount')).toBeUndefined();
    expect(finding('customer', 'username')).toMatchObject({ kind: 'username', transformer: 'username' });
    expect(finding('staff', 'username')).toMatchObject({ kind: 'username', transformer: 'username' });
    expect(finding('customer', 'first_name')).toMatchObject({ transformer: 'first-name' });
    expect(finding('customer', 'email')).toMatchObject({ transformer: 'email' });
    expect(finding('address', 'phone')).toMatchObject({ transformer: 'phone-number' });
    expect(finding('staff', 'password')).toMatchObject({ kind: 'token', transformer: 'redacted' });
    expect(scan.kept.find((k) => k.table === 'customer' && k.column === 'address_id')?.note).toMatch(/foreign key/);
    // A partition is decided by its parent: the scan proposes for the parent only.
    expect(scan.kept.some((k) => k.table === 'payment_p2022_01')).toBe(false);
    expect(scan.kept.find((k) => k.table === 'payment' && k.column === 'amount')?.note).toBe('a number');
  });

  it('init writes a config in which every column is decided: config check --strict and dump create --strict pass at once', async () => {
    const path = join(ws.dir, 'init.yaml');
    const init = await runCli(['init', '--uri', db.uri, '-o', path]);
    expect(init.code, init.stderr).toBe(0);
    const text = (await readFile(path, 'utf8')).replace('dir: ./dumps', `dir: ${ws.storeDir}`);
    await writeFile(path, text);
    const config = parse(text) as { source: { strict: boolean; transformers: Array<{ table: string; columns: Array<{ name: string; transformer_name: string }> }>; keep: Array<{ table: string; columns: string[]; reason: string }> } };
    expect(config.source.strict).toBe(true);
    const customer = config.source.transformers.find((t) => t.table === 'customer')!;
    expect(customer.columns.find((c) => c.name === 'username')?.transformer_name).toBe('username');
    expect(customer.columns.some((c) => c.name === 'address_id')).toBe(false);
    expect(config.source.keep.find((k) => k.table === 'customer')?.columns).toEqual(expect.arrayContaining(['customer_id', 'store_id', 'address_id', 'activebool', 'preferences', 'tags']));
    expect(text).toMatch(/- address_id {2}# foreign key to address/);

    const env = { ...ENV, SOURCE_DATABASE_URL: db.uri };
    const check = await runCli(['-c', path, 'config', 'check', '--strict'], { env });
    expect(check.stderr).toMatch(/is ready/);
    expect(check.code).toBe(0);
    const dump = await runCli(['-c', path, 'dump', 'create', '--strict', '-n', 'from-init'], { env });
    expect(dump.stderr).not.toMatch(/error/);
    expect(dump.code).toBe(0);
    // The proposals are sane: every customer is there, with a username-like fake.
    const restored = await runCli(['-c', path, 'dump', 'restore', 'remote', '-v', 'from-init', '-o'], { env });
    expect(restored.code).toBe(0);
    const customerRows = /COPY "public"\."customer" \([^)]*\) FROM stdin;\n([\s\S]*?)\n\\\.\n/.exec(restored.stdout)?.[1]?.split('\n') ?? [];
    expect(customerRows).toHaveLength(40);
    const usernames = customerRows.map((row) => row.split('\t')[6]!);
    expect(new Set(usernames).size).toBe(40);
    for (const name of usernames) expect(name).not.toMatch(/^user_\d+$|\s/);

    // The config init wrote is scan-clean on the data it was written from, and the dump says strict mode ran.
    const scanned = await runCli(['-c', path, 'dump', 'verify', '-v', 'from-init', '--scan'], { env });
    expect(scanned.stdout).toContain('nothing personal-looking found');
    expect(scanned.code).toBe(0);
    const shown = await runCli(['-c', path, 'dump', 'show', 'from-init', '--json'], { env });
    expect((JSON.parse(shown.stdout) as { provenance: { strict: boolean } }).provenance.strict).toBe(true);
  });

  it('--strict refuses naming every undecided column by table, stores nothing, and the proposed block makes it pass', async () => {
    const path = await ws.writeConfig(baseConfig());
    const refused = await runCli(['-c', path, 'dump', 'create', '--strict'], { env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/strict mode: \d+ columns of 5 tables are neither transformed nor declared safe in source\.keep/);
    expect(refused.stderr).toContain('  public.customer: customer_id, store_id, first_name, last_name, address_id, username, activebool, create_date, preferences, tags, last_update\n');
    expect(refused.stderr).toContain('  public.payment: payment_id, customer_id, staff_id, amount, payment_date\n');
    expect(refused.stderr).toMatch(/^ {2}public\.staff: /m);
    expect(refused.stderr).not.toMatch(/payment_p2022|rental_log/);
    expect(await storedFiles(ws.storeDir)).toEqual([]);

    // config check --strict says the same, each table a problem, and proposes the same block.
    const check = await runCli(['-c', path, 'config', 'check', '--strict'], { env: ENV });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/source: strict mode: public\.customer: customer_id, .*username.* are neither transformed nor declared safe in source\.keep/);
    const block = proposalOf(refused);
    expect(proposalOf(check)).toBe(block);
    const proposed = parse(block) as { source: { transformers: Array<{ table: string; columns: Array<{ name: string; transformer_name: string }> }>; keep: Array<{ table: string; columns: string[] }> } };
    expect(proposed.source.transformers.find((t) => t.table === 'customer')?.columns).toEqual([
      { name: 'first_name', transformer_name: 'first-name' },
      { name: 'last_name', transformer_name: 'last-name' },
      { name: 'username', transformer_name: 'username' },
    ]);
    expect(proposed.source.keep.find((k) => k.table === 'customer')?.columns).toContain('address_id');

    await writeFile(path, merge(await readFile(path, 'utf8'), block));
    const passed = await runCli(['-c', path, 'dump', 'create', '--strict', '-n', 'decided'], { env: ENV });
    expect(passed.stderr).not.toMatch(/error/);
    expect(passed.code).toBe(0);
    const again = await runCli(['-c', path, 'config', 'check', '--strict'], { env: ENV });
    expect(again.code, again.stderr).toBe(0);

    // Schema drift: a new column is caught on the next run, and only it is named.
    await db.sql('ALTER TABLE customer ADD COLUMN phone_number text');
    const before = await storedFiles(ws.storeDir);
    const drift = await runCli(['-c', path, 'dump', 'create', '--strict', '-n', 'drifted'], { env: ENV });
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/strict mode: 1 column of 1 table is neither transformed nor declared safe in source\.keep; nothing was dumped:\n {2}public\.customer: phone_number\n/);
    expect(proposalOf(drift)).toMatch(/- name: phone_number\n\s+transformer_name: phone-number/);
    expect(await storedFiles(ws.storeDir)).toEqual(before);
  });

  it('source.strict: true makes it the default; without it nothing is required', async () => {
    const loose = await ws.writeConfig(baseConfig());
    const plain = await runCli(['-c', loose, 'dump', 'create', '-n', 'loose'], { env: ENV });
    expect(plain.code, plain.stderr).toBe(0);
    const path = await ws.writeConfig(baseConfig().replace('source:\n', 'source:\n  strict: true\n'));
    const refused = await runCli(['-c', path, 'dump', 'create', '-n', 'strict'], { env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/public\.customer: customer_id/);
    const check = await runCli(['-c', path, 'config', 'check'], { env: ENV });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/strict mode: public\.customer/);
  });

  it('transient decides a column; a partition is decided by its parent; keep entries are checked with their line', async () => {
    const decided = `
    - database: public
      table: staff
      columns:
        - { name: first_name, transformer_name: first-name }
        - { name: last_name, transformer_name: last-name }
        - { name: email, transformer_name: email }
        - { name: username, transformer_name: username }
        - { name: password, transformer_name: redacted }
        - { name: active, transformer_name: transient }
  keep:
    - database: public
      table: customer
      columns: [customer_id, store_id, first_name, last_name, address_id, username, activebool, create_date, preferences, tags, last_update]
      reason: test fixture, no real people
    - { database: public, table: address, columns: [address_id, address, district, postal_code, phone, last_update], reason: fixture }
    - { database: public, table: store, columns: [store_id, address_id, last_update], reason: fixture }
    - { database: public, table: staff, columns: [staff_id, address_id, store_id], reason: fixture }
    - { database: public, table: payment, columns: [payment_id, customer_id, staff_id, amount, payment_date], reason: fixture }
`;
    const path = await ws.writeConfig(baseConfig(decided).replace('          transformer_name: email\n', '          transformer_name: email\n'));
    const ok = await runCli(['-c', path, 'config', 'check', '--strict'], { env: ENV });
    expect(ok.stderr).toMatch(/is ready/);
    expect(ok.code).toBe(0);

    const broken = await ws.writeConfig(
      baseConfig(decided)
        .replace('columns: [staff_id, address_id, store_id], reason: fixture', 'columns: [staff_id, adress_id, store_id, email], reason: fixture')
        .replace('columns: [store_id, address_id, last_update], reason: fixture', 'columns: [store_id, address_id, last_update]'),
    );
    const check = await runCli(['-c', broken, 'config', 'check', '--strict'], { env: ENV });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/conf\.yaml:\d+:\d+: source\.keep\[2\]\.reason: is required/);
    expect(check.stderr).toMatch(/conf\.yaml:\d+:\d+: source\.keep\[3\]\.columns\[1\]: no column adress_id in public\.staff/);
    expect(check.stderr).toMatch(/conf\.yaml:\d+:\d+: source\.keep\[3\]\.columns\[3\]: public\.staff\.email is also transformed/);
  });
});

describe('strict mode with an inheritance child', () => {
  let db: TestDatabase;
  let ws: Workspace;

  beforeEach(async () => {
    db = await createTestDatabase('strict_inherit');
    ws = await createWorkspace();
    await db.sql(`
      CREATE TABLE contact (id serial PRIMARY KEY, email text, note text);
      CREATE TABLE vip_contact (tier text) INHERITS (contact);
      INSERT INTO contact (email, note) VALUES ('a@example.org', 'n');
      INSERT INTO vip_contact (email, note, tier) VALUES ('b@example.org', 'n', 'gold');`);
  });

  afterEach(async () => {
    await db?.drop();
    await ws?.remove();
  });

  it('decides the inherited columns on the parent and asks for the child\'s own columns on the child', async () => {
    const path = await ws.writeConfig(`
source:
  connection_uri: ${db.uri}
  strict: true
  keep:
    - { database: public, table: contact, columns: [id, email, note], reason: test fixture }
datastore:
  local_disk:
    dir: ${ws.storeDir}
`);
    const check = await runCli(['-c', path, 'config', 'check'], { env: ENV });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/strict mode: public\.vip_contact: tier is neither transformed nor declared safe/);
    expect(check.stderr).not.toMatch(/public\.(vip_)?contact: (id|email|note)/);
  });
});

describe('strict mode on a -s postgresql -i script', () => {
  let db: TestDatabase;
  let ws: Workspace;

  beforeEach(async () => {
    db = await createTestDatabase('strict_script');
    ws = await createWorkspace();
    await db.sql(PAGILA);
    await db.sql(PAGILA_ROWS);
  });

  afterEach(async () => {
    await db?.drop();
    await ws?.remove();
  });

  it('refuses from the script catalog, stores nothing, and passes once the proposal is merged', async () => {
    const dump = spawnSync('pg_dump', ['--no-owner', `--dbname=${db.uri}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(dump.status, dump.stderr).toBe(0);
    const path = await ws.writeConfig(`
salt: $TRANSFORMER_SALT
source:
  strict: true
  skip_data: [{ database: public, table: rental_log }]
datastore:
  local_disk:
    dir: ${ws.storeDir}
`);
    const refused = await runCli(['-c', path, 'dump', 'create', '-s', 'postgresql', '-i'], { input: dump.stdout, env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('  public.customer: customer_id, store_id, first_name, last_name, email, address_id, username, activebool, create_date, preferences, tags, last_update\n');
    expect(refused.stderr).not.toMatch(/rental_log/);
    // The script's partitions are decided by their partitioned table (ATTACH PARTITION in the script).
    expect(refused.stderr).toContain('  public.payment: payment_id, customer_id, staff_id, amount, payment_date\n');
    expect(refused.stderr).not.toMatch(/payment_p2022/);
    expect(await storedFiles(ws.storeDir)).toEqual([]);
    const block = proposalOf(refused);
    expect(block).toMatch(/- name: username\n\s+transformer_name: username/);
    expect(block).toMatch(/- address_id {2}# a number/);
    await writeFile(path, merge(await readFile(path, 'utf8'), block));
    const passed = await runCli(['-c', path, 'dump', 'create', '-s', 'postgresql', '-i'], { input: dump.stdout, env: ENV });
    expect(passed.stderr).not.toMatch(/error/);
    expect(passed.code).toBe(0);
  });
});

describe('strict mode on MySQL/MariaDB', () => {
  let db: MysqlTestDatabase;
  let ws: Workspace;

  beforeEach(async () => {
    db = await createMysqlDatabase('strict');
    ws = await createWorkspace();
    await db.sql(`
      CREATE TABLE address (address_id int PRIMARY KEY AUTO_INCREMENT, address varchar(50) NOT NULL, phone varchar(20) NOT NULL);
      CREATE TABLE customer (
        customer_id int PRIMARY KEY AUTO_INCREMENT, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL, email varchar(50),
        address_id int NOT NULL, username varchar(40) UNIQUE, active tinyint(1) NOT NULL DEFAULT 1, create_date datetime NOT NULL,
        CONSTRAINT fk_customer_address FOREIGN KEY (address_id) REFERENCES address (address_id)
      );
      CREATE TABLE payment (payment_id int PRIMARY KEY AUTO_INCREMENT, customer_id int NOT NULL, amount decimal(5,2) NOT NULL,
        CONSTRAINT fk_payment_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id));
      INSERT INTO address (address, phone) VALUES ('47 MySakila Drive', '+1 555 0101'), ('28 MySQL Boulevard', '+1 555 0102');
      INSERT INTO customer (first_name, last_name, email, address_id, username, create_date) VALUES
        ('Mary', 'Smith', 'mary.smith@sakilacustomer.org', 1, 'msmith', '2022-01-01 10:00:00'),
        ('Linda', 'Williams', 'linda.williams@sakilacustomer.org', 2, 'lwilliams', '2022-01-02 10:00:00');
      INSERT INTO payment (customer_id, amount) VALUES (1, 2.99), (2, 4.99);
    `);
  });

  afterEach(async () => {
    await db?.drop();
    await ws?.remove();
  });

  it('--strict refuses naming the undecided columns, stores nothing, and the proposal makes it pass; init passes at once', async () => {
    const path = await ws.writeConfig(`
salt: $TRANSFORMER_SALT
source:
  connection_uri: ${db.uri}
  transformers:
    - database: ${db.name}
      table: customer
      columns:
        - { name: email, transformer_name: email }
datastore:
  local_disk:
    dir: ${ws.storeDir}
`);
    const refused = await runCli(['-c', path, 'dump', 'create', '--strict'], { env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`  ${db.name}.customer: customer_id, first_name, last_name, address_id, username, active, create_date\n`);
    expect(refused.stderr).toContain(`  ${db.name}.payment: payment_id, customer_id, amount\n`);
    expect(await storedFiles(ws.storeDir)).toEqual([]);
    const block = proposalOf(refused);
    expect(block).toMatch(/- name: username\n\s+transformer_name: username/);
    expect(block).toMatch(/- address_id {2}# foreign key to address/);
    const check = await runCli(['-c', path, 'config', 'check', '--strict'], { env: ENV });
    expect(check.code).toBe(1);
    expect(proposalOf(check)).toBe(block);

    await writeFile(path, merge(await readFile(path, 'utf8'), block));
    const passed = await runCli(['-c', path, 'dump', 'create', '--strict'], { env: ENV });
    expect(passed.stderr).not.toMatch(/error/);
    expect(passed.code).toBe(0);

    const initPath = join(ws.dir, 'init.yaml');
    const init = await runCli(['init', '--uri', db.uri, '-o', initPath]);
    expect(init.code, init.stderr).toBe(0);
    await writeFile(initPath, (await readFile(initPath, 'utf8')).replace('dir: ./dumps', `dir: ${ws.storeDir}`));
    const env = { ...ENV, SOURCE_DATABASE_URL: db.uri };
    const initCheck = await runCli(['-c', initPath, 'config', 'check', '--strict'], { env });
    expect(initCheck.stderr).toMatch(/is ready/);
    const initDump = await runCli(['-c', initPath, 'dump', 'create', '--strict'], { env });
    expect(initDump.code, initDump.stderr).toBe(0);
  });

  it('-s mysql -i: refuses naming every undecided column of the script, stores nothing, and passes once the proposal is merged', async () => {
    const dump = spawnSync(MYSQL_DUMP, [...db.clientArgs().slice(0, -2), db.name], { maxBuffer: 1 << 30 });
    expect(dump.status, dump.stderr?.toString()).toBe(0);
    const path = await ws.writeConfig(`
salt: $TRANSFORMER_SALT
source:
  strict: true
  transformers:
    - database: ${db.name}
      table: customer
      columns:
        - { name: email, transformer_name: email }
datastore:
  local_disk:
    dir: ${ws.storeDir}
`);
    const refused = await runCli(['-c', path, 'dump', 'create', '-s', 'mysql', '-i'], { input: dump.stdout, env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/strict mode: 13 columns of 3 tables are neither transformed nor declared safe in source\.keep/);
    expect(refused.stderr).toContain(`  ${db.name}.address: address_id, address, phone\n`);
    expect(refused.stderr).toContain(`  ${db.name}.customer: customer_id, first_name, last_name, address_id, username, active, create_date\n`);
    expect(refused.stderr).toContain(`  ${db.name}.payment: payment_id, customer_id, amount\n`);
    expect(await storedFiles(ws.storeDir)).toEqual([]);
    const block = proposalOf(refused);
    expect(block).toMatch(/- name: username\n\s+transformer_name: username/);
    await writeFile(path, merge(await readFile(path, 'utf8'), block));
    const passed = await runCli(['-c', path, 'dump', 'create', '-s', 'mysql', '-i'], { input: dump.stdout, env: ENV });
    expect(passed.stderr).not.toMatch(/error/);
    expect(passed.code).toBe(0);
    // A keep entry naming a column the script does not have is a typo that hides an undecided column.
    await writeFile(path, merge(await readFile(path, 'utf8'), `source:\n  keep:\n    - { database: ${db.name}, table: payment, columns: [ammount], reason: typo }\n`));
    const typo = await runCli(['-c', path, 'dump', 'create', '-s', 'mysql', '-i'], { input: dump.stdout, env: ENV });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/conf\.yaml:\d+:\d+: source\.keep\[\d+\]\.columns\[0\]: no column ammount in payment/);
  });
});

describe('strict mode on MongoDB', () => {
  it('is refused with why, before any connection: a sample of fields can never be the complete list', async () => {
    const ws = await createWorkspace();
    try {
      const path = await ws.writeConfig(`
source:
  connection_uri: mongodb://127.0.0.1:9/app
datastore:
  local_disk:
    dir: ${ws.storeDir}
`);
      const result = await runCli(['-c', path, 'dump', 'create', '--strict']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: strict mode \(--strict, source\.strict\) is not available for MongoDB/m);
      expect(await storedFiles(ws.storeDir)).toEqual([]);
    } finally {
      await ws.remove();
    }
  });
});
