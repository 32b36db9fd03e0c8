import { cp, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadFixture } from '../../support/fixtures.js';
import type { TestDatabase } from '../../support/postgres.js';

/** Values the tests plant in the source and then look for, byte for byte, in the datastore. */
export const PLANTED = {
  email: 'zelda.plantedvalue@secret-example.org',
  firstName: 'Quintessa',
  lastName: 'Vanderplantedsson',
  personPrefix: 'Planted Person Nr',
  emailDomain: '@planted-mail.example',
};

/** Bytes before the first segment of a chunk: magic and nonce. */
export const HEADER = 20;

export const KEY_VAR = 'RB_TEST_ENCRYPTION_KEY';
export const KEY = 'correct horse battery staple, but longer than 32 bytes of it';

/** kitchen-sink.sql plus planted rows: one customer, and a ~3 MB table of people (many chunks). */
export async function loadPlantedSource(db: TestDatabase): Promise<void> {
  await loadFixture(db, 'kitchen-sink.sql');
  await db.sql(`
    INSERT INTO public.customers (email, first_name, "LastName", notes)
      VALUES ('${PLANTED.email}', '${PLANTED.firstName}', '${PLANTED.lastName}', 'planted');
    CREATE TABLE public.planted_people (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, payload text);
    INSERT INTO public.planted_people
      SELECT g, '${PLANTED.personPrefix} ' || g, 'person' || g || '${PLANTED.emailDomain}', repeat(md5(g::text), 2)
      FROM generate_series(1, 20000) g;
  `);
}

export function encryptedConfigYaml(options: { source: string; destination: string; store: string; key?: 'env' | 'none' | string }): string {
  const key = options.key ?? 'env';
  const keyLine = key === 'none' ? '' : key === 'env' ? `encryption_key: $${KEY_VAR}\n` : `encryption_key: '${key}'\n`;
  return `${keyLine}source:
  connection_uri: ${options.source}
  compression: none
datastore:
  local_disk:
    dir: ${options.store}
destination:
  connection_uri: ${options.destination}
  wipe_database: true
`;
}

export const keyEnv = { [KEY_VAR]: KEY };

/** Every file under `dir`, with its path relative to `dir`. */
export async function storeFiles(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, path), bytes: await readFile(path) });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export async function copyStore(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}
