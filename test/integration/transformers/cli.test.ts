import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinTransformers } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

describe('transformers on the command line', () => {
  let source: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createTestDatabase('tr_cli'), createWorkspace()]);
    await source.sql(`CREATE TABLE events (id int PRIMARY KEY, at date NOT NULL); INSERT INTO events VALUES (1, '2024-01-01')`);
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  it('`transformer list` shows every transformer with its options and an example, without a config', async () => {
    const result = await runCli(['transformer', 'list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^name\s+\| deterministic \| options\s+\| example\s+\| description$/);
    for (const { name } of builtinTransformers().all()) expect(lines.some((line) => line.startsWith(`${name} `)), name).toBe(true);
    expect(result.stdout).toMatch(/email\s+\| yes\s+\| deterministic\?: boolean = true, first_name\?: string, last_name\?: string\s+\| "jane\.doe@acme\.com" → "[^"]+@example\.(com|net|org)"/);

    const json = await runCli(['transformer', 'list', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ name: string; options: Array<{ name: string; type: string; required: boolean; default?: unknown }>; examples: Array<{ input: string; output: string | null }> }>;
    expect(listed.map((t) => t.name)).toEqual(builtinTransformers().all().map((t) => t.name));
    const choice = listed.find((t) => t.name === 'choice')!;
    expect(choice.options).toEqual([
      { name: 'values', type: '(string | number | boolean | {value, weight})[]', required: false },
      { name: 'file', type: 'string', required: false },
      { name: 'keep_null', type: 'boolean', required: false, default: true },
    ]);
    expect(listed.find((t) => t.name === 'regex-replace')!.examples[0]).toMatchObject({ input: '+33 6 12 34 56 78', output: '+XX X XX XX XX 78' });
    expect(listed.every((t) => t.examples.length > 0 || ['custom', 'custom-wasm'].includes(t.name))).toBe(true);
  });

  it('refuses, before any row, a transformer that cannot write the column, naming table, column and type; never prints the salt', async () => {
    const config = await workspace.writeConfig(`
salt: $SECRET_SALT
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: events
      columns:
        - { name: at, transformer_name: email }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const result = await runCli(['-c', config, 'dump', 'create', '-n', 'refused'], { env: { SECRET_SALT: 'do-not-print-me' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/conf\.yaml:9:\d+: source\.transformers\[0\]\.columns\[0\]\.transformer_name: email cannot transform public\.events\.at \(date\)/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('do-not-print-me');
  });
});
