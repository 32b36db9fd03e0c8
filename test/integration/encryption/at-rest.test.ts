import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, listDumps, openDatastore, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { rowCounts } from '../../support/compare.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { encryptedConfigYaml, HEADER, keyEnv, loadPlantedSource, PLANTED, storeFiles } from './encrypted-fixture.js';

const needles = [PLANTED.email, PLANTED.firstName, PLANTED.lastName, PLANTED.personPrefix, PLANTED.emailDomain, 'update; with a semicolon'];

describe('encryption at rest', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let plain: Workspace;
  let sealed: Workspace;

  beforeAll(async () => {
    [source, restored, plain, sealed] = await Promise.all([createTestDatabase('src'), createTestDatabase('dst'), createWorkspace(), createWorkspace()]);
    await loadPlantedSource(source);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), plain?.remove(), sealed?.remove()]);
  });

  it('shows the planted values in an unencrypted, uncompressed dump (the control)', async () => {
    const config = plain.config(encryptedConfigYaml({ source: source.uri, destination: restored.uri, store: plain.storeDir, key: 'none' }));
    await createDump(config, { name: 'plain', chunkSize: 256 * 1024 });
    const all = Buffer.concat((await storeFiles(plain.storeDir)).map((file) => file.bytes));
    for (const needle of needles) expect(all.includes(Buffer.from(needle)), needle).toBe(true);
  });

  it('leaves no byte sequence of any planted value anywhere in the datastore when encrypted', async () => {
    const config = sealed.config(encryptedConfigYaml({ source: source.uri, destination: restored.uri, store: sealed.storeDir }), { ...process.env, ...keyEnv });
    await createDump(config, { name: 'first', chunkSize: 256 * 1024 });
    await createDump(config, { name: 'second', chunkSize: 256 * 1024 });
    const files = await storeFiles(sealed.storeDir);
    expect(files.filter((file) => file.path.endsWith('.chunk')).length).toBeGreaterThan(20);
    for (const file of files) {
      for (const needle of needles) expect(file.bytes.includes(Buffer.from(needle)), `${needle} in ${file.path}`).toBe(false);
      // Nor a piece of one: the 8-byte prefixes of the planted values.
      for (const needle of needles) expect(file.bytes.includes(Buffer.from(needle.slice(0, 8))), `${needle.slice(0, 8)} in ${file.path}`).toBe(false);
    }
  });

  it('never gives two dumps of the same data a common ciphertext chunk, nor a common segment', async () => {
    const files = await storeFiles(sealed.storeDir);
    const chunksOf = (name: string) => files.filter((file) => file.path.startsWith(`${name}/`) && file.path.endsWith('.chunk'));
    const [first, second] = [chunksOf('first'), chunksOf('second')];
    // Chunk boundaries depend on how COPY's pieces fall, so the counts may differ by one.
    expect(Math.abs(first.length - second.length)).toBeLessThanOrEqual(2);
    const seen = new Set(first.map((file) => file.bytes.toString('base64')));
    for (const file of second) expect(seen.has(file.bytes.toString('base64')), file.path).toBe(false);
    // Same position, same plaintext: the headers' nonces differ, and so does every 32-byte window of the first segment.
    // The first chunk of each part starts with the same plaintext in both dumps.
    for (const [index, file] of first.entries()) {
      if (index >= second.length) break;
      const other = second[index]!.bytes;
      expect(file.bytes.subarray(4, HEADER).equals(other.subarray(4, HEADER))).toBe(false);
      const windows = new Set<string>();
      for (let at = HEADER; at + 32 <= Math.min(file.bytes.length, HEADER + 4096); at += 32) windows.add(file.bytes.subarray(at, at + 32).toString('hex'));
      for (let at = HEADER; at + 32 <= Math.min(other.length, HEADER + 4096); at += 1) {
        expect(windows.has(other.subarray(at, at + 32).toString('hex'))).toBe(false);
      }
    }
  });

  it('says which dumps are encrypted in dump list', async () => {
    const configPath = await sealed.writeConfig(encryptedConfigYaml({ source: source.uri, destination: restored.uri, store: sealed.storeDir }));
    const table = await runCli(['-c', configPath, 'dump', 'list'], { env: keyEnv });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^name\s+\|.*\| encrypted$/m);
    expect(table.stdout).toMatch(/^first\s+\|.*\| true$/m);
    const datastore = await openDatastore(sealed.config(encryptedConfigYaml({ source: source.uri, destination: restored.uri, store: plain.storeDir }), { ...process.env, ...keyEnv }));
    expect((await listDumps(datastore)).map((d) => [d.name, d.encrypted])).toEqual([['plain', false]]);
  });

  it('restores an encrypted dump with the key, every row intact', async () => {
    const config = sealed.config(encryptedConfigYaml({ source: source.uri, destination: restored.uri, store: sealed.storeDir }), { ...process.env, ...keyEnv });
    await restoreDump(config, { value: 'second' });
    expect(await rowCounts(restored)).toEqual(await rowCounts(source));
    const rows = await restored.sql<{ email: string }>(`SELECT email FROM public.customers WHERE first_name = '${PLANTED.firstName}'`);
    expect(rows).toEqual([{ email: PLANTED.email }]);
  });
});
