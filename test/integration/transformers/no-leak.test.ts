/**
 * No original value of a transformed column survives: known values are planted in a table, every
 * sensitive column gets a transformer, and the values are searched for in the stored chunks
 * (uncompressed, and zstd after decompressing) and in the restored database. The salt is searched too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { createDump, restoreDump } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const SALT = 'planted-test-salt-0x5eed';
const ROWS = 40;
const planted = (i: number) => ({
  email: `zeb.quagmire${i}@victim-corp.example`,
  name: `Zebulon Quagmire${i}`,
  phone: `+33 6 55 ${String(10 + i)} 77 ${String(10 + i)}`,
  card: `4929 1234 5678 ${String(1000 + i)}`,
  note: `Confidential: patient ${i} diagnosed with quagmirosis`,
  born: `18${String(10 + i)}-08-08`,
  ip: `203.0.113.${i + 1}`,
  secret: `sk_live_quagmire_${i}`,
  ssn: `078-05-${String(1100 + i)}`,
  city: `Quagmireville${i}`,
  profile: { name: `Quagmire Profile${i}`, contacts: [{ email: `contact${i}@quagmire-leak.example` }] },
});

const TRANSFORMS = `
        - { name: email, transformer_name: email }
        - { name: name, transformer_name: full-name }
        - { name: phone, transformer_name: phone-number }
        - { name: card, transformer_name: credit-card }
        - { name: note, transformer_name: lorem }
        - { name: born, transformer_name: date-shift }
        - { name: ip, transformer_name: ip-address }
        - { name: secret, transformer_name: hash }
        - { name: ssn, transformer_name: mask, transformer_options: { keep_last: 2 } }
        - { name: city, transformer_name: city }
        - { name: profile, transformer_name: json, transformer_options: { paths: [ { path: name, transformer_name: full-name }, { path: contacts.$.email, transformer_name: email } ] } }`;

function yaml(source: TestDatabase, destination: TestDatabase, store: string, compression: string): string {
  return `
salt: ${SALT}
source:
  connection_uri: ${source.uri}
  compression: ${compression}
  transformers:
    - database: public
      table: people
      columns:${TRANSFORMS}
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

async function storedText(store: string, dump: string, compressed: boolean): Promise<string> {
  const files = (await readdir(join(store, dump))).sort();
  const parts: string[] = [];
  for (const file of files) {
    const bytes = await readFile(join(store, dump, file));
    parts.push((file.endsWith('.chunk') && compressed ? decompress(bytes) : bytes).toString('utf8'));
  }
  return parts.join('\n');
}

describe('planted values', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let workspace: Workspace;
  const values = Array.from({ length: ROWS }, (_, i) => planted(i));
  const needles = values.flatMap((v) => [v.email, v.name, v.phone, v.card, v.note, v.born, v.ip, v.secret, v.ssn, v.city, v.profile.name, v.profile.contacts[0]!.email]);

  beforeAll(async () => {
    [source, restored, workspace] = await Promise.all([createTestDatabase('leak_src'), createTestDatabase('leak_dst'), createWorkspace()]);
    await source.sql(`CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE, name text, phone text, card text, note text, born date, ip inet,
                      secret text, ssn varchar(11), city text, profile jsonb, untouched text)`);
    for (const [i, v] of values.entries()) {
      await source.sql(`INSERT INTO people VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'kept as is')`, [i, v.email, v.name, v.phone, v.card, v.note, v.born, v.ip, v.secret, v.ssn, v.city, JSON.stringify(v.profile)]);
    }
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), workspace?.remove()]);
  });

  for (const [compression, compressed] of [['false', false], ['zstd', true]] as const) {
    it(`finds none of them in the datastore (compression: ${compression}) nor in the restored database`, async () => {
      const config = workspace.config(yaml(source, restored, workspace.storeDir, compression));
      await createDump(config, { name: `leak-${compression}` });
      const stored = await storedText(workspace.storeDir, `leak-${compression}`, compressed);
      expect(stored).toContain('kept as is'); // the search can find what is there
      for (const needle of needles) expect(stored.includes(needle), needle).toBe(false);
      expect(stored.includes(SALT)).toBe(false);

      await restoreDump(config, { value: `leak-${compression}` });
      const rows = await restored.sql<{ t: string }>(`SELECT string_agg(p::text, E'\\n') AS t FROM people p`);
      const text = rows[0]!.t;
      expect(text).toContain('kept as is');
      for (const needle of needles) expect(text.includes(needle), needle).toBe(false);
      expect(await restored.sql(`SELECT count(DISTINCT email)::int AS n FROM people`)).toEqual([{ n: ROWS }]);
    });
  }
});
