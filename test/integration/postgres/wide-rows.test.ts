import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { sha256, wideBlob, wideText } from '../../support/wide-values.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * Wide rows (#18): COPY rows of several MB, cut by many socket chunks and rewritten field by field
 * (WideRowRewriter), come back byte for byte after dump and restore; the transformed column changes.
 */
describe('PostgreSQL wide rows', () => {
  let source: TestDatabase;
  let restored: TestDatabase;
  let workspace: Workspace;
  const rows = [
    { id: 1, name: 'Ann', body: 'x'.repeat(3 << 20), data: wideBlob(2 << 20, 1), dense: wideText(1 << 20, 1) },
    { id: 2, name: 'Bob', body: wideText(4 << 20, 2), data: wideBlob(100, 2), dense: '' },
    { id: 3, name: 'Cy', body: 'short', data: null, dense: wideText(2 << 20, 3) },
  ];

  beforeAll(async () => {
    [source, restored, workspace] = await Promise.all([createTestDatabase('wide_src'), createTestDatabase('wide_dst'), createWorkspace()]);
    await source.sql('CREATE TABLE wide (id int PRIMARY KEY, name text NOT NULL, body text NOT NULL, data bytea, dense text NOT NULL)');
    for (const row of rows) await source.sql('INSERT INTO wide VALUES ($1, $2, $3, $4, $5)', [row.id, row.name, row.body, row.data, row.dense]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([source?.drop(), restored?.drop(), workspace?.remove()]);
  });

  it('dumps and restores rows of several MB byte for byte, the transformed column changed', async () => {
    const config = workspace.config(`
salt: test-salt
source:
  connection_uri: ${source.uri}
  transformers:
    - database: public
      table: wide
      columns:
        - { name: name, transformer_name: first-name }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
destination:
  connection_uri: ${restored.uri}
`);
    const manifest = await createDump(config, { name: 'wide' });
    expect(manifest.parts.find((p) => p.table === 'wide')?.rows).toBe(rows.length);
    await restoreDump(config, { value: 'wide' });
    const back = await restored.sql<{ id: number; name: string; body: string; data: Buffer | null; dense: string }>('SELECT id, name, body, data, dense FROM wide ORDER BY id');
    expect(back).toHaveLength(rows.length);
    back.forEach((values, i) => {
      const row = rows[i]!;
      expect(values.name).not.toBe(row.name);
      expect(sha256(values.body), `row ${row.id} body`).toBe(sha256(row.body));
      expect(values.data === null ? null : sha256(values.data), `row ${row.id} data`).toBe(row.data === null ? null : sha256(row.data));
      expect(sha256(values.dense), `row ${row.id} dense`).toBe(sha256(row.dense));
    });
  }, 180_000);
});
