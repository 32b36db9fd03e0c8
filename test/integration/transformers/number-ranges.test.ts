/**
 * Numbers stay in their column (#21 item 0, decision 0038): a transformer's output out of an integer
 * type's range or a numeric(p,s)'s precision is fitted (clamped) by the built-in transformers, and any
 * other (a custom module's) stops the dump at its row, naming the table, the column and the key — the
 * restore never sees it. PostgreSQL and MariaDB, dump → restore.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TIMES = fileURLToPath(new URL('../../fixtures/transformers/times.mjs', import.meta.url));

interface Entry {
  column: string;
  transformer: string;
  options?: Record<string, unknown>;
}

function configYaml(uri: string, database: string, entries: Entry[], store: string, destination: string): string {
  return [
    'salt: number-ranges',
    'source:',
    `  connection_uri: ${uri}`,
    '  transformers:',
    `    - database: ${database}`,
    '      table: numbers',
    '      columns:',
    ...entries.map((e) => `        - { name: ${e.column}, transformer_name: ${e.transformer}${e.options ? `, transformer_options: ${JSON.stringify(e.options)}` : ''} }`),
    'datastore:',
    `  local_disk: { dir: ${store} }`,
    'destination:',
    `  connection_uri: ${destination}`,
    '',
  ].join('\n');
}

const FITTED: Entry[] = [
  { column: 'price', transformer: 'number-noise', options: { ratio: 3 } },
  { column: 'bucket', transformer: 'generalize', options: { step: 10 } },
  { column: 'small', transformer: 'random-number', options: { min: -32768, max: 32767 } },
];

describe('numbers in range on PostgreSQL', () => {
  let db: TestDatabase;
  let restored: TestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, restored, ws] = await Promise.all([createTestDatabase('ranges'), createTestDatabase('ranges_dst'), createWorkspace()]);
    await db.sql(`
      CREATE DOMAIN price AS numeric(6,2);
      CREATE TABLE numbers (id int PRIMARY KEY, price price, bucket numeric(4,2), small smallint, cap int);
      INSERT INTO numbers VALUES (1, 9999.99, -99.99, 32767, 40000), (2, -9999.99, 99.99, -32768, 10), (3, 0.01, -45.5, 0, 5),
        (4, 9000.00, -95.01, 1, 7), (5, -9500.50, 0, -1, 8);`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), restored?.drop(), ws?.remove()]);
  });

  it('number-noise on a domain over numeric(6,2) near its bounds, generalize on numeric(4,2), random-number on smallint: dumped, restored, in range', async () => {
    const yaml = configYaml(db.uri, 'public', FITTED, ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'fitted' });
    await restoreDump(ws.config(yaml), { value: 'fitted' });
    const rows = await restored.sql<{ price: string; bucket: string; small: number }>('SELECT price::text, bucket::text, small FROM numbers ORDER BY id');
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(Math.abs(Number(row.price))).toBeLessThanOrEqual(9999.99);
      expect(Math.abs(Number(row.bucket))).toBeLessThanOrEqual(99.99);
      expect(Math.abs(row.small)).toBeLessThanOrEqual(32768);
    }
    expect(rows[0]!.bucket).toBe('-99.99');
    expect(rows.map((row) => row.price)).not.toEqual(['9999.99', '-9999.99', '0.01', '9000.00', '-9500.50']);
  });

  it('stops the dump at the row whose value the column cannot hold, naming table, column and key', async () => {
    const custom = configYaml(db.uri, 'public', [{ column: 'small', transformer: 'custom', options: { module: TIMES, options: { by: 1000 } } }], ws.storeDir, restored.uri);
    await expect(createDump(ws.config(custom), { name: 'custom' })).rejects.toThrow(
      /public\.numbers\.small: custom wrote 32767000, outside smallint \(-32768 \.\. 32767\), for the row id = 1: the restore would refuse it/,
    );
    // Bounds read from the row: the row whose bounds go beyond the type is named.
    const bounded = configYaml(db.uri, 'public', [{ column: 'small', transformer: 'random-number', options: { min: 0, max: { column: 'cap' } } }], ws.storeDir, restored.uri);
    await expect(createDump(ws.config(bounded), { name: 'bounded' })).rejects.toThrow(/public\.numbers\.small: min\.\.max \(0\.\.40000\) goes beyond smallint .*, for the row id = 1/);
  });
});

describe('numbers in range on MariaDB', () => {
  let db: MysqlTestDatabase;
  let restored: MysqlTestDatabase;
  let ws: Workspace;

  beforeAll(async () => {
    [db, restored, ws] = await Promise.all([createMysqlDatabase('ranges'), createMysqlDatabase('ranges_dst'), createWorkspace()]);
    await db.sql(`
      CREATE TABLE numbers (id int PRIMARY KEY, price decimal(6,2) unsigned, bucket decimal(4,2), small smallint, f float, cap int);
      INSERT INTO numbers VALUES (1, 9999.99, -99.99, 32767, 3.3e38, 40000), (2, 0.01, 99.99, -32768, -3.3e38, 10), (3, 5000.50, -45.5, 0, 1.5, 5),
        (4, 9000.00, -95.01, 1, 3.1e38, 7), (5, 1.00, 0, -1, -3.2e38, 8);`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), restored?.drop(), ws?.remove()]);
  });

  it('number-noise on decimal(6,2) unsigned and on FLOAT near their bounds, generalize on decimal(4,2), random-number on smallint: dumped, restored, in range', async () => {
    const entries = [...FITTED, { column: 'f', transformer: 'number-noise', options: { ratio: 0.5 } }];
    const yaml = configYaml(db.uri, db.name, entries, ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'fitted' });
    await restoreDump(ws.config(yaml), { value: 'fitted' });
    const rows = await restored.sql<{ price: string; bucket: string; small: number; f: number }>('SELECT price, bucket, small, f FROM numbers ORDER BY id');
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(Number(row.price)).toBeGreaterThanOrEqual(0);
      expect(Number(row.price)).toBeLessThanOrEqual(9999.99);
      expect(Math.abs(Number(row.bucket))).toBeLessThanOrEqual(99.99);
      expect(Math.abs(row.small)).toBeLessThanOrEqual(32768);
      expect(Number.isFinite(row.f)).toBe(true);
    }
    expect(rows[0]!.bucket).toBe('-99.99');
  });

  it('stops the dump at the row whose value the column cannot hold, naming table, column and key', async () => {
    const yaml = configYaml(db.uri, db.name, [{ column: 'small', transformer: 'custom', options: { module: TIMES, options: { by: 1000 } } }], ws.storeDir, restored.uri);
    await expect(createDump(ws.config(yaml), { name: 'custom' })).rejects.toThrow(
      new RegExp(`${db.name}\\.numbers\\.small: custom wrote 32767000, outside smallint\\(6\\) \\(-32768 \\.\\. 32767\\), for the row id = 1: the restore would refuse it`),
    );
  });
});
