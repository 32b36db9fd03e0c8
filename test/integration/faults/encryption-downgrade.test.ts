import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreDump, verifyDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { writeLegacyDump } from '../encryption/legacy-datastore.js';

/**
 * Issue #15, item 1: whoever can write to the datastore must not be able to replace an encrypted dump by
 * an unencrypted one (or one in the original Replibyte's format) and have its SQL run in the destination
 * of a config that has encryption_key. The forged dumps' pre-data creates a marker table: its absence in
 * the destination proves nothing of the forgery ran.
 */
const KEY = 'correct horse battery staple, downgrade edition';
const REFUSED = /^error: dump nightly is not encrypted, but the config has encryption_key: the key cannot authenticate it, and anyone who can write to local disk \S+ could have made it$/m;
const LEGACY_REFUSED = /^error: dump (legacy-plain|legacy-sealed) is in the original Replibyte format, but the config has encryption_key/m;

describe('encryption downgrade (issue #15, item 1)', () => {
  let honest: TestDatabase;
  let forger: TestDatabase;
  let destination: TestDatabase;
  let workspace: Workspace;
  let keyedConfig: string;

  const yaml = (source: string, key: string | undefined) =>
    `${key ? `encryption_key: '${key}'\n` : ''}source:
  connection_uri: ${source}
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${destination.uri}
  wipe_database: true
`;

  const markerTables = async () =>
    (await destination.sql<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE '%marker%' ORDER BY 1`)).map(
      (row) => row.name,
    );

  beforeAll(async () => {
    [honest, forger, destination, workspace] = await Promise.all([createTestDatabase('honest'), createTestDatabase('forger'), createTestDatabase('dst'), createWorkspace()]);
    await honest.sql('CREATE TABLE public.accounts (id integer PRIMARY KEY, owner text NOT NULL); INSERT INTO public.accounts VALUES (1, $$alice$$), (2, $$bob$$);');
    await forger.sql('CREATE TABLE public.forged_marker (id integer PRIMARY KEY); INSERT INTO public.forged_marker VALUES (666);');
    // The honest, encrypted dump, then the forger's replacement under the same name, written without a key.
    const { writeFile } = await import('node:fs/promises');
    const honestConfig = join(workspace.dir, 'honest.yaml');
    await writeFile(honestConfig, yaml(honest.uri, KEY));
    const created = await runCli(['-c', honestConfig, 'dump', 'create', '-n', 'nightly']);
    expect(created.code, created.stderr).toBe(0);
    await rm(join(workspace.storeDir, 'nightly'), { recursive: true });
    const forgerConfig = join(workspace.dir, 'forger.yaml');
    await writeFile(forgerConfig, yaml(forger.uri, undefined));
    const forged = await runCli(['-c', forgerConfig, 'dump', 'create', '-n', 'nightly']);
    expect(forged.code, forged.stderr).toBe(0);
    keyedConfig = join(workspace.dir, 'keyed.yaml');
    await writeFile(keyedConfig, yaml(honest.uri, KEY));
  });

  afterAll(async () => {
    await Promise.all([honest?.drop(), forger?.drop(), destination?.drop(), workspace?.remove()]);
  });

  it('refuses to restore an unencrypted dump with a keyed config: exit 1, one line, nothing ran in the destination', async () => {
    for (const value of ['nightly', 'latest']) {
      const result = await runCli(['-c', keyedConfig, 'dump', 'restore', 'remote', '-v', value]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(REFUSED);
      expect(result.stderr).toMatch(/^hint: .*--allow-unencrypted/m);
      expect(result.stderr).not.toContain(KEY);
    }
    expect(await markerTables()).toEqual([]);
    await expect(restoreDump(await workspaceConfig(), { value: 'nightly' })).rejects.toThrow(/^dump nightly is not encrypted, but the config has encryption_key/);
    expect(await markerTables()).toEqual([]);
  });

  it('refuses it in -o (remote and local), dump verify and dump restore local', async () => {
    for (const args of [
      ['dump', 'restore', 'remote', '-v', 'nightly', '-o'],
      ['dump', 'restore', 'local', '-v', 'nightly', '-o'],
      ['dump', 'restore', 'local', '-v', 'nightly', '--data-dir', join(workspace.dir, 'local')],
      ['dump', 'verify', '-v', 'nightly'],
      ['dump', 'verify', '-v', 'nightly', '--json'],
    ]) {
      const result = await runCli(['-c', keyedConfig, ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(REFUSED);
      expect(result.stdout, args.join(' ')).not.toContain('forged_marker');
    }
    await expect(verifyDump(await workspaceConfig(), { value: 'nightly' })).rejects.toThrow(/is not encrypted/);
  });

  it('reads it when the user says so with --allow-unencrypted', async () => {
    const verified = await runCli(['-c', keyedConfig, 'dump', 'verify', '-v', 'nightly', '--allow-unencrypted']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^dump nightly \(replibyte-v1\): OK$/m);
    const script = await runCli(['-c', keyedConfig, 'dump', 'restore', 'remote', '-v', 'nightly', '-o', '--allow-unencrypted']);
    expect(script.code, script.stderr).toBe(0);
    expect(script.stdout).toContain('forged_marker');
    const restored = await runCli(['-c', keyedConfig, 'dump', 'restore', 'remote', '-v', 'latest', '--allow-unencrypted']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await markerTables()).toEqual(['forged_marker']);
    await destination.sql('DROP TABLE public.forged_marker');
    expect((await verifyDump(await workspaceConfig(), { value: 'nightly', allowUnencrypted: true })).fault).toBeUndefined();
  });

  it('refuses a dump in the original Replibyte format, encrypted or not, unless --allow-unencrypted', async () => {
    const script = Buffer.from('CREATE TABLE public.legacy_marker (id integer);\nINSERT INTO public.legacy_marker VALUES (1);\n');
    await writeLegacyDump(workspace.storeDir, { name: 'legacy-plain', script, chunks: 1, createdAt: 1_700_000_000_000, compressed: true });
    await writeLegacyDump(workspace.storeDir, { name: 'legacy-sealed', script, chunks: 1, createdAt: 1_700_000_000_001, compressed: true, passphrase: KEY });
    for (const name of ['legacy-plain', 'legacy-sealed']) {
      for (const args of [['dump', 'restore', 'remote', '-v', name], ['dump', 'restore', 'remote', '-v', name, '-o'], ['dump', 'verify', '-v', name]]) {
        const result = await runCli(['-c', keyedConfig, ...args]);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
        expect(result.stderr, args.join(' ')).toMatch(LEGACY_REFUSED);
        expect(result.stdout).not.toContain('legacy_marker');
      }
      expect(await markerTables()).toEqual([]);
      const allowed = await runCli(['-c', keyedConfig, 'dump', 'restore', 'remote', '-v', name, '--allow-unencrypted']);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(await markerTables()).toEqual(['legacy_marker']);
      await destination.sql('DROP TABLE public.legacy_marker');
    }
  });

  it('says so in --help', async () => {
    for (const command of [['dump', 'restore', 'remote'], ['dump', 'restore', 'local'], ['dump', 'verify']]) {
      const help = await runCli([...command, '--help']);
      expect(help.stdout, command.join(' ')).toContain('--allow-unencrypted');
    }
  });

  async function workspaceConfig() {
    return workspace.config(yaml(honest.uri, KEY));
  }
});
