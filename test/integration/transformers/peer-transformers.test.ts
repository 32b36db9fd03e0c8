/**
 * The transformers added from the Greenmask / PostgreSQL Anonymizer comparison (#21 item 3), end to end
 * on PostgreSQL, MariaDB and MongoDB: config check accepts them where they fit and refuses them, with
 * the reason, where they do not (length, numeric(p,s), unique columns, non-text types); a dump restores,
 * with `when:` leaving staff rows as they were and an option read from the row (`iban`'s country).
 */
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/check/config-check.js';
import { createDump, restoreDump } from '../../../src/index.js';
import { isValidIban } from '../../../src/scan/detectors.js';
import { builtinTransformers } from '../../../src/transformers/builtin/index.js';
import { MongoTestServer } from '../../support/mongo-server/mongo-test-server.js';
import { createMysqlDatabase } from '../../support/mysql.js';
import { createTestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const registry = builtinTransformers();
const ROWS = 24;
const COUNTRIES = ['FR', 'NL', 'DE', 'GB'];
const TIERS = ['gold', 'silver', 'bronze'];

interface Column {
  name: string;
  transformer: string;
  options?: Record<string, unknown>;
  when?: string;
}

const COLUMNS: Column[] = [
  { name: 'lat', transformer: 'latitude', when: "role <> 'staff'" },
  { name: 'lon', transformer: 'longitude', options: { min: -10, max: 30, decimals: 4 } },
  { name: 'tz', transformer: 'timezone' },
  { name: 'cur', transformer: 'currency' },
  { name: 'cc', transformer: 'country-code' },
  { name: 'st', transformer: 'state' },
  { name: 'iban', transformer: 'iban', options: { country: { column: 'country' } } },
  { name: 'iban_u', transformer: 'iban' },
  { name: 'bic', transformer: 'bic' },
  { name: 'job', transformer: 'job-title' },
  { name: 'ua', transformer: 'user-agent' },
  { name: 'site', transformer: 'domain-name' },
  { name: 'tier', transformer: 'dict', options: { values: { gold: 'standard', silver: 'standard' }, default: 'other' } },
  { name: 'phone', transformer: 'phone-number', options: { format: 'international' } },
  { name: 'ip', transformer: 'ip-address', options: { subnet: '10.20.0.0/16' } },
];

function yaml(source: string, database: string, table: string, columns: Column[], store: string, destination?: string): string {
  const lines = ['salt: peer-transformers', 'source:', `  connection_uri: ${source}`, '  transformers:', `    - database: ${database}`, `      table: ${table}`, '      columns:'];
  for (const c of columns) {
    lines.push(`        - { name: ${c.name}, transformer_name: ${c.transformer}${c.options ? `, transformer_options: ${JSON.stringify(c.options)}` : ''}${c.when ? `, when: ${JSON.stringify(c.when)}` : ''} }`);
  }
  lines.push('datastore:', `  local_disk: { dir: ${store} }`);
  if (destination) lines.push('destination:', `  connection_uri: ${destination}`);
  return `${lines.join('\n')}\n`;
}

/** The source rows: every fifth one is staff's, left as it is by `when:`. */
function rows(): Array<Record<string, string | number>> {
  return Array.from({ length: ROWS }, (_, id) => ({
    id,
    country: COUNTRIES[id % 4]!,
    role: id % 5 === 0 ? 'staff' : 'customer',
    lat: (48.85837 + id / 1000).toFixed(6),
    lon: 2.294481 + id,
    tz: 'Europe/Paris',
    cur: 'EUR',
    cc: 'FR',
    st: 'Ile-de-France',
    iban: `FR76 3000 6000 0112 3456 7890 ${String(100 + id)}`,
    iban_u: `DE89370400440532013${String(id).padStart(3, '0')}`,
    bic: 'BNPAFRPPXXX',
    job: 'Head of Payroll',
    ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    site: `shop-${id}.acme.fr`,
    tier: TIERS[id % 3]!,
    phone: `+33 6 12 34 56 ${String(id).padStart(2, '0')}`,
    ip: id % 2 ? `192.0.2.${id}` : `2001:db8::${id}`,
  }));
}

/** What every transformed value must look like, whatever the engine. */
function expectTransformed(restored: Array<Record<string, string | null>>, source: Array<Record<string, string | number>>): void {
  expect(restored).toHaveLength(ROWS);
  for (const [i, row] of restored.entries()) {
    const original = source[i]!;
    if (original.role === 'staff') expect(Number(row.lat)).toBe(Number(original.lat));
    else expect(row.lat).toMatch(/^-?\d{1,2}\.\d{6}$/);
    expect(Number(row.lon)).toSatisfy((n: number) => n >= -10 && n <= 30);
    expect(row.tz).toMatch(/^[A-Z][A-Za-z_]+(\/[A-Za-z_+\-0-9]+)*$/);
    expect(row.cur).toMatch(/^[A-Z]{3}$/);
    expect(row.cc).toMatch(/^[A-Z]{2}$/);
    expect(row.st).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)?$/);
    // The country comes from the row's own `country` column ({ column: country }).
    expect(isValidIban(row.iban!), row.iban!).toBe(true);
    expect(row.iban!.slice(0, 2)).toBe(original.country);
    expect(row.iban_u).toMatch(/^DE\d{20}$/);
    expect(isValidIban(row.iban_u!)).toBe(true);
    expect(row.bic).toMatch(/^[A-Z]{4}FR[A-Z0-9][A-Z1-9][A-Z0-9]{3}$/);
    expect(row.job).not.toBe(original.job);
    expect(row.ua).not.toBe(original.ua);
    expect(row.site).toMatch(/^[a-z0-9-]+-[0-9a-z]{12}\.[a-z]+$/);
    expect(row.tier, `${original.tier} in row ${i}`).toBe(original.tier === 'bronze' ? 'other' : 'standard');
    expect(row.phone).toMatch(/^\+1\d{10}$/);
    expect(row.ip).toMatch(/^10\.20\.\d{1,3}\.\d{1,3}(\/32)?$/); // inet::text writes the /32
  }
  expect(new Set(restored.map((row) => row.iban_u)).size).toBe(ROWS);
  expect(restored.filter((row, i) => source[i]!.role !== 'staff' && Number(row.lat) === Number(source[i]!.lat))).toEqual([]);
}

interface Engine {
  name: string;
  ddl: string;
  narrowDdl: string;
  create(label: string): Promise<{ uri: string; database: string; sql(text: string, values?: unknown[]): Promise<unknown[]>; drop(): Promise<void> }>;
  /** Every column read back as text. */
  selectAsText(columns: string[]): string;
  placeholders(count: number): string;
}

const TYPES = 'country char(2) NOT NULL, role text, lat %NUMERIC%(8,6), lon %DOUBLE%, tz varchar(40), cur char(3), cc char(2), st text, iban varchar(34), iban_u varchar(22) UNIQUE, bic varchar(11), job text, ua text, site varchar(60) UNIQUE, tier text, phone varchar(20), ip %INET%';

const ENGINES: Engine[] = [
  {
    name: 'PostgreSQL',
    ddl: `CREATE TABLE places (id int PRIMARY KEY, ${TYPES.replace('%NUMERIC%', 'numeric').replace('%DOUBLE%', 'double precision').replace('%INET%', 'inet')})`,
    narrowDdl: 'CREATE TABLE narrow (id int PRIMARY KEY, code varchar(2), lon numeric(5,3), u_tz text UNIQUE, u_iban varchar(20) UNIQUE, n int, ip15 varchar(15))',
    create: async (label) => {
      const db = await createTestDatabase(label);
      return { uri: db.uri, database: 'public', sql: (text, values) => db.sql(text, values), drop: () => db.drop() };
    },
    selectAsText: (columns) => columns.map((c) => `${c}::text AS ${c}`).join(', '),
    placeholders: (count) => Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', '),
  },
  {
    name: 'MariaDB',
    ddl: `CREATE TABLE places (id int PRIMARY KEY, ${TYPES.replace('%NUMERIC%', 'decimal').replace('%DOUBLE%', 'double').replace('%INET%', 'varchar(39)')})`,
    narrowDdl: 'CREATE TABLE narrow (id int PRIMARY KEY, code varchar(2), lon decimal(5,3), u_tz varchar(40) UNIQUE, u_iban varchar(20) UNIQUE, n int, ip15 varchar(15))',
    create: async (label) => {
      const db = await createMysqlDatabase(label);
      return { uri: db.uri, database: db.name, sql: (text, values) => db.sql(text, values), drop: () => db.drop() };
    },
    selectAsText: (columns) => columns.map((c) => `CAST(${c} AS CHAR) AS ${c}`).join(', '),
    placeholders: (count) => Array.from({ length: count }, () => '?').join(', '),
  },
];

describe.each(ENGINES)('the peers\' transformers on $name', (engine) => {
  let source: Awaited<ReturnType<Engine['create']>>;
  let destination: Awaited<ReturnType<Engine['create']>>;
  let ws: Workspace;
  const data = rows();
  const names = Object.keys(data[0]!);

  beforeAll(async () => {
    [source, destination, ws] = await Promise.all([engine.create('peers_src'), engine.create('peers_dst'), createWorkspace()]);
    await source.sql(engine.ddl);
    await source.sql(engine.narrowDdl);
    for (const row of data) await source.sql(`INSERT INTO places (${names.join(', ')}) VALUES (${engine.placeholders(names.length)})`, names.map((n) => row[n]));
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), destination?.drop(), ws?.remove()]);
  });

  it('config check accepts them where they fit; the dump restores with when: and an option read from the row', async () => {
    const text = yaml(source.uri, source.database, 'places', COLUMNS, ws.storeDir, destination.uri);
    const report = await checkConfig(await ws.writeConfig(text), { registry });
    expect(report.problems).toEqual([]);
    await createDump(ws.config(text), { name: 'peers' });
    await restoreDump(ws.config(text), { value: 'peers' });
    const restored = (await destination.sql(`SELECT ${engine.selectAsText(names)} FROM places ORDER BY places.id`)) as Array<Record<string, string | null>>;
    expectTransformed(restored, data);
  }, 120_000);

  it('config check refuses them, with the reason, where the column cannot hold what they write', async () => {
    const refusals: Array<[Column, RegExp]> = [
      [{ name: 'code', transformer: 'currency' }, /2 characters cannot hold a currency \(the shortest takes 3\)/],
      [{ name: 'lon', transformer: 'longitude' }, /(numeric|decimal)\(5,3\) holds numbers below 100, and longitudes go to 180/],
      [{ name: 'u_tz', transformer: 'timezone' }, /the column is unique and this transformer may give two rows the same value/],
      [{ name: 'u_iban', transformer: 'iban' }, /20 characters cannot hold an IBAN \(22\)/],
      [{ name: 'n', transformer: 'latitude' }, /it writes latitudes in degrees, and n is int/],
      [{ name: 'code', transformer: 'dict', options: { values: { a: 'too long' }, keep_others: true } }, /value "too long" is longer than/],
      [{ name: 'ip15', transformer: 'ip-address', options: { subnet: '2001:db8::/32' } }, /an IPv6 subnet writes up to 39 characters, more than (character varying|varchar)\(15\) holds/],
      [{ name: 'ip15', transformer: 'ip-address', options: { subnet: '10.0.0.0' } }, /subnet "10\.0\.0\.0" is not a network/],
    ];
    for (const [column, reason] of refusals) {
      const report = await checkConfig(await ws.writeConfig(yaml(source.uri, source.database, 'narrow', [column], ws.storeDir)), { registry });
      expect(report.problems.map((problem) => problem.message), `${column.transformer} on ${column.name}`).toEqual([expect.stringMatching(reason)]);
    }
  }, 120_000);
});

describe('the peers\' transformers on MongoDB (string fields, by path)', () => {
  let server: MongoTestServer;
  let ws: Workspace;

  beforeAll(async () => {
    [server, ws] = await Promise.all([MongoTestServer.start(), createWorkspace()]);
    const client = await MongoClient.connect(server.uri('app'));
    try {
      await client
        .db('app')
        .collection<{ _id: number }>('places')
        .insertMany(
          rows().map((row) => ({
            _id: row.id as number,
            country: row.country,
            role: row.role,
            geo: { lat: String(row.lat), lon: row.lon },
            tz: row.tz,
            iban: row.iban,
            tier: row.tier,
          })),
        );
    } finally {
      await client.close();
    }
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), ws?.remove()]);
  });

  it('transforms string fields, leaves numbers where they are, follows when: and options read from the document', async () => {
    const columns: Column[] = [
      { name: 'geo.lat', transformer: 'latitude', when: "role <> 'staff'" },
      { name: 'geo.lon', transformer: 'longitude' },
      { name: 'tz', transformer: 'timezone' },
      { name: 'iban', transformer: 'iban', options: { country: { column: 'country' } } },
      { name: 'tier', transformer: 'dict', options: { values: { gold: 'standard' }, keep_others: true } },
    ];
    const text = yaml(server.uri('app'), 'app', 'places', columns, ws.storeDir, server.uri('restored'));
    await createDump(ws.config(text), { name: 'mongo-peers' });
    await restoreDump(ws.config(text), { value: 'mongo-peers' });
    const before = server.documents('app', 'places') as Document[];
    const after = server.documents('restored', 'places') as Document[];
    expect(after).toHaveLength(ROWS);
    for (const [i, document] of after.entries()) {
      const original = before[i]!;
      const geo = document.geo as Document;
      if (original.role === 'staff') expect(geo.lat).toBe((original.geo as Document).lat);
      else expect(geo.lat).toMatch(/^-?\d{1,2}\.\d{6}$/);
      // A number at the path is not a string: left as it was (and counted in dump create's warning).
      expect(geo.lon).toEqual((original.geo as Document).lon);
      expect(document.tz).toMatch(/^[A-Z][A-Za-z_]+(\/[A-Za-z_+\-0-9]+)*$/);
      expect(isValidIban(document.iban as string)).toBe(true);
      expect((document.iban as string).slice(0, 2)).toBe(original.country);
      expect(document.tier).toBe(original.tier === 'gold' ? 'standard' : original.tier);
    }
  }, 120_000);
});
