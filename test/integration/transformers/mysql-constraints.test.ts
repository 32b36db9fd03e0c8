/**
 * Type safety on MariaDB (#21 item 0, decision 0038): what constrains a column beyond its type — CHECKs
 * (table and column level), unique indexes on a prefix, and unique generated columns (MariaDB's way of
 * writing MySQL 8's functional indexes) — is read from the catalog, so that `config check` refuses what
 * the restore would refuse, and the fakes fit what they can be fitted to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/check/config-check.js';
import { createDump, restoreDump } from '../../../src/index.js';
import { builtinTransformers } from '../../../src/transformers/builtin/index.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const registry = builtinTransformers();

interface Entry {
  table: string;
  column: string;
  transformer: string;
  options?: Record<string, unknown>;
}

function configYaml(uri: string, database: string, entries: Entry[], store: string, destination?: string): string {
  const lines = ['salt: mysql-constraints', 'source:', `  connection_uri: ${uri}`, '  transformers:'];
  for (const entry of entries) {
    lines.push(`    - database: ${database}`, `      table: ${entry.table}`, '      columns:');
    lines.push(`        - { name: ${entry.column}, transformer_name: ${JSON.stringify(entry.transformer)}${entry.options ? `, transformer_options: ${JSON.stringify(entry.options)}` : ''} }`);
  }
  lines.push('datastore:', `  local_disk: { dir: ${store} }`);
  if (destination) lines.push('destination:', `  connection_uri: ${destination}`);
  lines.push('');
  return lines.join('\n');
}

describe('CHECKs and unique indexes on MariaDB', () => {
  let db: MysqlTestDatabase;
  let restored: MysqlTestDatabase;
  let ws: Workspace;

  const problemsOf = async (entry: Entry) => {
    const report = await checkConfig(await ws.writeConfig(configYaml(db.uri, db.name, [entry], ws.storeDir)), { registry });
    return report.problems.map((problem) => problem.message);
  };

  beforeAll(async () => {
    [db, restored, ws] = await Promise.all([createMysqlDatabase('constraints'), createMysqlDatabase('constraints_dst'), createWorkspace()]);
    await db.sql(`
      CREATE TABLE checked (
        id int PRIMARY KEY,
        name varchar(60) CHECK (char_length(name) < 8),
        label varchar(60),
        words text,
        n int CHECK (n >= 0),
        doc json,
        CONSTRAINT label_short CHECK (char_length(label) <= 9),
        CONSTRAINT words_bytes CHECK (length(words) < 12)
      );
      INSERT INTO checked VALUES (1, 'Ann', 'short', 'a few words', 1, '{}'), (2, 'Bob', 'tiny', 'more words', 2, '[]');
      CREATE TABLE handles (
        id int PRIMARY KEY,
        handle varchar(40),
        nick varchar(40),
        lc varchar(40) AS (lower(handle)) VIRTUAL,
        UNIQUE KEY lc (lc),
        UNIQUE KEY nick8 (nick(8))
      );
      INSERT INTO handles (id, handle, nick) VALUES (1, 'Ann', 'annabelle'), (2, 'bob', 'bobby');
      CREATE TABLE companies (id int PRIMARY KEY, company varchar(60) NOT NULL, UNIQUE KEY company16 (company(16)));`);
    // Enough rows that, without the prefix, two fakes share their first 16 characters (found with this salt).
    const values = Array.from({ length: 300 }, (_, i) => `(${i + 1}, 'person${i + 1}@example.org')`);
    await db.sql(`INSERT INTO companies VALUES ${values.join(', ')}`);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), restored?.drop(), ws?.remove()]);
  });

  it('refuses a constant that fails a CHECK of the column, or MariaDB\'s JSON check, in the server\'s terms', async () => {
    expect(await problemsOf({ table: 'checked', column: 'n', transformer: 'constant', options: { value: -1 } })).toEqual([expect.stringMatching(/value "-1" cannot be stored in .*checked\.n \(int\(11\)\): it fails CHECK \(`n` >= 0\)/)]);
    expect(await problemsOf({ table: 'checked', column: 'doc', transformer: 'constant', options: { value: '{bad' } })).toEqual([expect.stringMatching(/it fails CHECK \(json_valid\(`doc`\)\)/)]);
    expect(await problemsOf({ table: 'checked', column: 'name', transformer: 'constant', options: { value: 'eightchr' } })).toEqual([expect.stringMatching(/longer than varchar\(60\) allows/)]);
    expect(await problemsOf({ table: 'checked', column: 'n', transformer: 'constant', options: { value: 0 } })).toEqual([]);
    expect(await problemsOf({ table: 'checked', column: 'doc', transformer: 'constant', options: { value: '{"a":1}' } })).toEqual([]);
  });

  it('fits fakes to length CHECKs of the column and of the table, in characters and in bytes, so the restore takes them', async () => {
    const entries: Entry[] = [
      { table: 'checked', column: 'name', transformer: 'full-name' },
      { table: 'checked', column: 'label', transformer: 'company' },
      { table: 'checked', column: 'words', transformer: 'lorem' },
    ];
    const yaml = configYaml(db.uri, db.name, entries, ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'checks' });
    await restoreDump(ws.config(yaml), { value: 'checks' });
    const rows = await restored.sql<{ name: string; label: string; words: string }>('SELECT name, label, words FROM checked ORDER BY id');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect([...row.name].length).toBeLessThan(8);
      expect([...row.label].length).toBeLessThanOrEqual(9);
      expect(Buffer.byteLength(row.words)).toBeLessThan(12);
    }
    expect(rows.map((row) => row.name)).not.toEqual(['Ann', 'Bob']);
  });

  it('sees the column a unique generated column is computed from as unique, and a prefix index\'s column', async () => {
    expect(await problemsOf({ table: 'handles', column: 'handle', transformer: 'redacted' })).toEqual([expect.stringMatching(/the column is unique/)]);
    expect(await problemsOf({ table: 'handles', column: 'handle', transformer: 'first-name' })).toEqual([]);
    expect(await problemsOf({ table: 'handles', column: 'nick', transformer: 'first-name' })).toEqual([
      expect.stringMatching(/unique within its first 8 characters \(a prefix index\) and 8 characters are too few/),
    ]);
  });

  it('keeps fakes distinct within a unique prefix: each fits in it, and the restore takes every row', async () => {
    const yaml = configYaml(db.uri, db.name, [{ table: 'companies', column: 'company', transformer: 'company' }], ws.storeDir, restored.uri);
    await createDump(ws.config(yaml), { name: 'prefix' });
    await restoreDump(ws.config(yaml), { value: 'prefix' });
    const rows = await restored.sql<{ company: string }>('SELECT company FROM companies ORDER BY id');
    expect(rows).toHaveLength(300);
    for (const { company } of rows) expect([...company].length).toBeLessThanOrEqual(16);
    expect(new Set(rows.map((row) => row.company.toLowerCase())).size).toBe(300);
    expect(rows.filter((row) => row.company.startsWith('person'))).toEqual([]);
  });
});
