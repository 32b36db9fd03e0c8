/**
 * Type safety (#21 item 0), against the real servers: what the catalog tells the transformers about a
 * column (its base type through domains, every unique index it is part of, NOT NULL), what `config check`
 * refuses because the restore would fail, and what it must not refuse.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { checkConfig } from '../../../src/check/config-check.js';
import { builtinTransformers } from '../../../src/transformers/builtin/index.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const registry = builtinTransformers();

interface Entry {
  table: string;
  column: string;
  transformer: string;
  options?: Record<string, unknown>;
}

const SHOUT = fileURLToPath(new URL('../../fixtures/transformers/shout.ts', import.meta.url));

function configYaml(uri: string, database: string, entries: Entry[], store: string, destination?: string): string {
  const lines = ['salt: type-safety', 'source:', `  connection_uri: ${uri}`, '  transformers:'];
  for (const entry of entries) {
    lines.push(`    - database: ${database}`, `      table: ${entry.table}`, '      columns:');
    lines.push(`        - { name: ${entry.column}, transformer_name: ${JSON.stringify(entry.transformer)}${entry.options ? `, transformer_options: ${JSON.stringify(entry.options)}` : ''} }`);
  }
  lines.push('datastore:', `  local_disk: { dir: ${store} }`);
  if (destination) lines.push('destination:', `  connection_uri: ${destination}`);
  lines.push('');
  return lines.join('\n');
}

/** The problems `config check` reports for each entry, one entry per config (so one does not hide another). */
async function problemsOf(ws: Workspace, uri: string, database: string, entry: Entry): Promise<string[]> {
  const path = await ws.writeConfig(configYaml(uri, database, [entry], ws.storeDir));
  const report = await checkConfig(path, { registry });
  return report.problems.map((problem) => problem.message);
}

describe('type safety on PostgreSQL', () => {
  let db: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, ws] = await Promise.all([createTestDatabase('typesafe'), createWorkspace()]);
    await db.sql(`
      CREATE DOMAIN short_text AS varchar(20);
      CREATE DOMAIN shorter_text AS short_text;
      CREATE DOMAIN name_text AS shorter_text;
      CREATE TABLE people (
        id int PRIMARY KEY,
        nick name_text,
        login text,
        handle text,
        tenant int,
        code text,
        deleted boolean NOT NULL DEFAULT false,
        note text
      );
      CREATE UNIQUE INDEX people_login_live ON people (login) WHERE NOT deleted;
      CREATE UNIQUE INDEX people_handle_lower ON people (lower(handle));
      ALTER TABLE people ADD UNIQUE (tenant, code);
      CREATE UNIQUE INDEX people_id_incl ON people (id) INCLUDE (note);
      INSERT INTO people VALUES (1, 'Ann', 'ann', 'Ann', 1, 'a', false, 'x'), (2, 'Bob', 'bob', 'bob2', 1, 'b', true, 'y');`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), ws?.remove()]);
  });

  it('lets text transformers write a domain over a domain over varchar, within its length', async () => {
    expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column: 'nick', transformer: 'first-name' })).toEqual([]);
    expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column: 'nick', transformer: 'redacted' })).toEqual([]);
    // The length comes through the domains: a UUID (36 characters) does not fit varchar(20).
    expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column: 'nick', transformer: 'uuid' })).toEqual([expect.stringMatching(/uuid cannot transform public\.people\.nick/)]);
  });

  it('sees partial, expression and multi-column unique indexes (and the predicate\'s columns) as unique', async () => {
    for (const column of ['login', 'handle', 'tenant', 'code', 'deleted']) {
      const transformer = column === 'tenant' || column === 'deleted' ? 'constant' : 'redacted';
      const options = column === 'tenant' ? { value: 1 } : column === 'deleted' ? { value: false } : undefined;
      expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column, transformer, ...(options && { options }) }), column).toEqual([
        expect.stringMatching(/the column is unique/),
      ]);
    }
    for (const transformer of ['keep-first-char', 'mask']) {
      expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column: 'handle', transformer })).toEqual([expect.stringMatching(/the column is unique/)]);
    }
    // An INCLUDE column is carried by the index, not part of its uniqueness.
    expect(await problemsOf(ws, db.uri, 'public', { table: 'people', column: 'note', transformer: 'redacted' })).toEqual([]);
  });
});

describe('constants and CHECKs, on PostgreSQL', () => {
  let db: TestDatabase;
  let restored: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, restored, ws] = await Promise.all([createTestDatabase('typesafe_const'), createTestDatabase('typesafe_const_dst'), createWorkspace()]);
    await db.sql(`
      CREATE DOMAIN tiny_name AS text CHECK (length(VALUE) <= 6);
      CREATE DOMAIN tinier_name AS tiny_name CHECK (VALUE <> 'x');
      CREATE TABLE typed (
        id int PRIMARY KEY, u uuid, d date, ip inet, nums int[], doc jsonb, price numeric(6,2),
        code text CHECK (code <> 'bad'), name text CHECK (length(name) < 8), nick tinier_name, label varchar(30) CHECK (char_length(label) <= 9)
      );
      INSERT INTO typed VALUES (1, gen_random_uuid(), '2024-01-02', '10.0.0.1', '{1,2}', '{}', 1.5, 'ok', 'Ann', 'Bo', 'short'),
        (2, gen_random_uuid(), '2024-01-03', '10.0.0.2', '{3}', '[]', 2.5, 'ok2', 'Bob', 'Cy', 'tiny');`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), restored?.drop(), ws?.remove()]);
  });

  it('refuses a constant the column\'s type, a domain or a CHECK would refuse, with PostgreSQL\'s own words', async () => {
    const refused: Array<[string, unknown, RegExp]> = [
      ['u', 'not-a-uuid', /invalid input syntax for type uuid/],
      ['d', '2024-13-45', /date\/time field value out of range|invalid input/],
      ['ip', '10.0.0.300', /invalid input syntax for type inet/],
      ['nums', '{1,2', /malformed array literal/],
      ['doc', '{bad', /invalid input syntax for type json/],
      // numeric(p,s) is checked before the server is asked (a script source has none): the range in its message.
      ['price', '12345.67', /value 12345\.67, outside numeric\(6,2\) \(-9999\.99 \.\. 9999\.99\)/],
      ['code', 'bad', /fails CHECK \(code <> 'bad'::text\)/],
      ['nick', 'x', /violates check constraint/],
      ['name', 'eightchr', /longer than text allows/],
    ];
    for (const [column, value, why] of refused) {
      expect(await problemsOf(ws, db.uri, 'public', { table: 'typed', column, transformer: 'constant', options: { value } }), column).toEqual([expect.stringMatching(why)]);
    }
    const accepted: Array<[string, unknown]> = [['u', '00000000-0000-4000-8000-000000000000'], ['d', '2000-01-01'], ['ip', '::1'], ['nums', '{7}'], ['doc', '{"a":1}'], ['price', 9999.99], ['code', 'fine'], ['nick', 'abc']];
    for (const [column, value] of accepted) {
      expect(await problemsOf(ws, db.uri, 'public', { table: 'typed', column, transformer: 'constant', options: { value } }), column).toEqual([]);
    }
    // dump create refuses it too, before a row is read.
    const yaml = configYaml(db.uri, 'public', [{ table: 'typed', column: 'u', transformer: 'constant', options: { value: 'nope' } }], ws.storeDir);
    await expect(createDump(ws.config(yaml), { name: 'refused' })).rejects.toThrow(/value "nope" cannot be stored in public\.typed\.u \(uuid\): invalid input syntax for type uuid/);
  });

  it('fits fakes to a length CHECK of the table or of a domain, so the restore takes them', async () => {
    const entries: Entry[] = [
      { table: 'typed', column: 'name', transformer: 'full-name' },
      { table: 'typed', column: 'nick', transformer: 'first-name' },
      { table: 'typed', column: 'label', transformer: 'company' },
    ];
    const yaml = configYaml(db.uri, 'public', entries, ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'checks' });
    await restoreDump(ws.config(yaml), { value: 'checks' });
    const rows = await restored.sql<{ name: string; nick: string; label: string }>('SELECT name, nick, label FROM typed ORDER BY id');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.name.length).toBeLessThan(8);
      expect(row.nick.length).toBeLessThanOrEqual(6);
      expect(row.label.length).toBeLessThanOrEqual(9);
    }
    expect(rows.map((row) => row.name)).not.toEqual(['Ann', 'Bob']);
  });
});

describe('the same value, the same fake, across columns of a family (PostgreSQL)', () => {
  let db: TestDatabase;
  let restored: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, restored, ws] = await Promise.all([createTestDatabase('typesafe_family'), createTestDatabase('typesafe_family_dst'), createWorkspace()]);
    await db.sql(`
      CREATE EXTENSION citext;
      CREATE TABLE users (email citext PRIMARY KEY, handle char(40), login text UNIQUE);
      CREATE TABLE orders (id int PRIMARY KEY, user_email citext NOT NULL REFERENCES users (email));
      CREATE TABLE audit (id int PRIMARY KEY, email text, handle text, login text);
      INSERT INTO users VALUES ('Ann@Example.com', 'ann', 'ann.l'), ('bob@example.com', 'bob', 'bob.l');
      INSERT INTO orders VALUES (1, 'ann@example.com'), (2, 'ANN@EXAMPLE.COM'), (3, 'Bob@Example.com');
      INSERT INTO audit VALUES (1, 'ann@example.com', 'ann', 'ann.l'), (2, 'bob@example.com', 'bob', 'bob.l');`);
    await restored.sql('CREATE EXTENSION citext');
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), restored?.drop(), ws?.remove()]);
  });

  it('folds citext case, trims char(n) blanks and gives a plain column the unique column\'s fake, so joins hold', async () => {
    const entries: Entry[] = [
      { table: 'users', column: 'email', transformer: 'email' },
      { table: 'users', column: 'handle', transformer: 'first-name' },
      { table: 'users', column: 'login', transformer: 'username' },
      { table: 'audit', column: 'email', transformer: 'email' },
      { table: 'audit', column: 'handle', transformer: 'first-name' },
      { table: 'audit', column: 'login', transformer: 'username' },
    ];
    const yaml = configYaml(db.uri, 'public', entries, ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'family' });
    await restoreDump(ws.config(yaml), { value: 'family' });
    // Every order still finds its user (citext keys differing only in case got one fake).
    expect(await restored.sql('SELECT count(*)::int AS n FROM orders o JOIN users u ON u.email = o.user_email')).toEqual([{ n: 3 }]);
    expect(await restored.sql(`SELECT count(*)::int AS n FROM users WHERE email IN ('ann@example.com', 'bob@example.com')`)).toEqual([{ n: 0 }]);
    // A citext key, a char(40) and a unique column join their plain text copies.
    const joined = await restored.sql('SELECT count(*)::int AS n FROM users u JOIN audit a ON a.email = u.email::text AND a.handle = trim(u.handle) AND a.login = u.login');
    expect(joined).toEqual([{ n: 2 }]);
  });
});

describe('a value the column cannot hold, on PostgreSQL', () => {
  let db: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, ws] = await Promise.all([createTestDatabase('typesafe_row'), createWorkspace()]);
    await db.sql(`
      CREATE TABLE codes (region text, id int, code varchar(5) NOT NULL, PRIMARY KEY (region, id));
      INSERT INTO codes VALUES ('eu', 1, 'ab'), ('eu', 2, 'abcde');`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), ws?.remove()]);
  });

  it('fails the dump at the row, naming the table, the column and the key, instead of at restore', async () => {
    const yaml = configYaml(db.uri, 'public', [{ table: 'codes', column: 'code', transformer: 'custom', options: { module: SHOUT, options: { suffix: '!' } } }], ws.storeDir);
    const path = await ws.writeConfig(yaml);
    expect((await checkConfig(path, { registry })).problems).toEqual([]);
    await expect(createDump(ws.config(yaml), { name: 'too-long' })).rejects.toThrow(
      /public\.codes\.code: custom wrote 6 characters, more than character varying\(5\) holds, for the row \(region, id\) = \(eu, 2\)/,
    );
  });
});

describe('type safety on MariaDB', () => {
  let db: MysqlTestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, ws] = await Promise.all([createMysqlDatabase('typesafe'), createWorkspace()]);
    await db.sql(`
      CREATE TABLE things (
        id int PRIMARY KEY,
        tiny tinyint,
        small_u smallint unsigned,
        big_u bigint unsigned,
        flag tinyint(1),
        tags set('a','b','c'),
        required varchar(20) NOT NULL,
        tenant int,
        code varchar(20),
        UNIQUE KEY tenant_code (tenant, code)
      );
      INSERT INTO things VALUES (1, -5, 60000, 18446744073709551615, 1, 'a,c', 'x', 1, 'a'), (2, 100, 1, 0, 0, '', 'y', 1, 'b');`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), ws?.remove()]);
  });

  it('lets number-noise write tinyint and unsigned integers', async () => {
    for (const column of ['tiny', 'small_u', 'big_u']) {
      expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column, transformer: 'number-noise' }), column).toEqual([]);
    }
  });

  it('takes a constant list of members on a SET, and a constant on tinyint(1) that MySQL can store', async () => {
    expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'tags', transformer: 'constant', options: { value: 'a,b' } })).toEqual([]);
    expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'tags', transformer: 'constant', options: { value: 'a,z' } })).toEqual([
      expect.stringMatching(/value "a,z" is not a list of members of the set/),
    ]);
    for (const value of [true, 0, 1, 'false']) {
      expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'flag', transformer: 'constant', options: { value } }), String(value)).toEqual([]);
    }
    expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'flag', transformer: 'constant', options: { value: 't' } })).toEqual([expect.stringMatching(/not a valid tinyint\(1\)/)]);
  });

  it('refuses a constant MySQL would refuse (in the restore\'s strict mode), with its own words', async () => {
    await db.sql('CREATE TABLE IF NOT EXISTS typed (id int PRIMARY KEY, d date, price decimal(6,2), n int, e enum(\'x\',\'y\'))');
    const refused: Array<[string, unknown, RegExp]> = [
      ['d', '2024-13-45', /Incorrect date value/],
      ['price', 12345.67, /value 12345\.67, outside decimal\(6,2\) \(-9999\.99 \.\. 9999\.99\)/],
      ['n', 'abc', /not a valid int/],
      ['e', 'z', /not a member of the enum/],
    ];
    for (const [column, value, why] of refused) {
      expect(await problemsOf(ws, db.uri, db.name, { table: 'typed', column, transformer: 'constant', options: { value } }), column).toEqual([expect.stringMatching(why)]);
    }
    for (const [column, value] of [['d', '2024-12-31'], ['price', 9999.99], ['n', -5]] as const) {
      expect(await problemsOf(ws, db.uri, db.name, { table: 'typed', column, transformer: 'constant', options: { value } }), column).toEqual([]);
    }
  });

  it('refuses null on a NOT NULL column and a collapsing transformer on a multi-column unique key', async () => {
    expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'required', transformer: 'null' })).toEqual([expect.stringMatching(/the column is NOT NULL/)]);
    expect(await problemsOf(ws, db.uri, db.name, { table: 'things', column: 'code', transformer: 'redacted' })).toEqual([expect.stringMatching(/the column is unique/)]);
  });

  it('dumps and restores what it accepts: TIMESTAMP dates near 1970 and 2038, decimal(6,2) noise, BOOLEAN and SET constants', async () => {
    const restored = await createMysqlDatabase('typesafe_dst');
    try {
      await db.sql(`
        CREATE TABLE moments (id int PRIMARY KEY, seen timestamp NULL, shifted timestamp NULL, price decimal(6,2), flag tinyint(1), tags set('a','b','c'));
        INSERT INTO moments VALUES (1, '2038-01-19 03:14:07', '2038-01-19 03:14:07', 9999.99, 0, 'c'),
          (2, '1970-01-01 00:00:01', '1970-01-01 00:00:01', -9999.99, 1, ''), (3, '2001-02-03 04:05:06', '2001-02-03 04:05:06', 0.01, NULL, 'a,b,c');`);
      const entries: Entry[] = [
        { table: 'moments', column: 'seen', transformer: 'random-date', options: { from: '1900-01-01', to: '2100-01-01' } },
        { table: 'moments', column: 'shifted', transformer: 'date-shift', options: { min_days: 300, max_days: 3000 } },
        { table: 'moments', column: 'price', transformer: 'number-noise', options: { ratio: 0.5 } },
        { table: 'moments', column: 'flag', transformer: 'constant', options: { value: true } },
        { table: 'moments', column: 'tags', transformer: 'constant', options: { value: 'a,b' } },
      ];
      const yaml = configYaml(db.uri, db.name, entries, ws.storeDir, restored.uri);
      await createDump(ws.config(yaml), { name: 'moments' });
      await restoreDump(ws.config(yaml), { value: 'moments' });
      const rows = await restored.sql<{ id: number; seen: string; shifted: string; price: string; flag: number | null; tags: string }>('SELECT * FROM moments ORDER BY id');
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        for (const value of [row.seen, row.shifted]) expect(value >= '1970-01-01 00:00:01' && value <= '2038-01-19 03:14:07', value).toBe(true);
        expect(Math.abs(Number(row.price))).toBeLessThanOrEqual(9999.99);
      }
      expect(rows.map((row) => [row.flag, row.tags])).toEqual([[1, 'a,b'], [1, 'a,b'], [null, 'a,b']]);
    } finally {
      await restored.drop();
    }
  });
});
