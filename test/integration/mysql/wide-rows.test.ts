import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, streamingConnection } from '../../../src/engines/mysql/connection.js';
import { streamRowPackets } from '../../../src/engines/mysql/row-stream.js';
import { createDump, restoreDump } from '../../../src/index.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { sha256, wideBlob, wideText } from '../../support/wide-values.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * Wide rows (#18): values of several MB, written by the dump as views of the rows the driver read and
 * restored through statements of their own, come back byte for byte; the transformed column changes.
 */
describe('MySQL wide rows (MariaDB)', () => {
  let source: MysqlTestDatabase;
  let restored: MysqlTestDatabase;
  let workspace: Workspace;
  const rows = [
    { id: 1, name: 'Ann', body: 'x'.repeat(3 << 20), data: wideBlob(2 << 20, 1), dense: wideText(1 << 20, 1) },
    { id: 2, name: 'Bob', body: wideText(2 << 20, 2), data: wideBlob(100, 2), dense: '' },
    { id: 3, name: 'Cy', body: 'short', data: null, dense: wideText(3 << 20, 3) },
  ];

  beforeAll(async () => {
    [source, restored, workspace] = await Promise.all([createMysqlDatabase('wide_src'), createMysqlDatabase('wide_dst'), createWorkspace()]);
    await source.sql('CREATE TABLE wide (id int PRIMARY KEY, name varchar(40) NOT NULL, body longtext NOT NULL, data longblob, dense longtext NOT NULL) DEFAULT CHARSET utf8mb4');
    for (const row of rows) await source.sql('INSERT INTO wide VALUES (?, ?, ?, ?, ?)', [row.id, row.name, row.body, row.data, row.dense]);
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
    - database: ${source.name}
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
    const back = await restored.raw('SELECT id, name, body, data, dense FROM wide ORDER BY id');
    expect(back).toHaveLength(rows.length);
    back.forEach((values, i) => {
      const row = rows[i]!;
      expect(values[1]!.toString()).not.toBe(row.name);
      expect(sha256(values[2]!), `row ${row.id} body`).toBe(sha256(row.body));
      expect(values[3] === null ? null : sha256(values[3]!), `row ${row.id} data`).toBe(row.data === null ? null : sha256(row.data));
      expect(sha256(values[4]!), `row ${row.id} dense`).toBe(sha256(row.dense));
    });
  }, 180_000);

  it('a wide value kept as a view of the row the driver read is not overwritten by the rows after it', async () => {
    // What RowPacketEncoder relies on to keep a value of 64 KB or more without copying it: mysql2 hands
    // a row that spans socket reads in a buffer of its own and never reuses it. Every view is kept here
    // until the whole result has been read, then checked.
    const connection = await connectMysql(source.uri, 'source');
    try {
      const views: Buffer[] = [];
      const sql = 'SELECT REPEAT(CHAR(65 + seq), 70000 + seq * 1000) FROM seq_0_to_19';
      const output = streamRowPackets(streamingConnection(connection), sql, 1, {
        row(buffer, start, end) {
          views.push(buffer.subarray(start + 4, end)); // a 3-byte length after the 0xFC/0xFD marker byte
          return [];
        },
        finish: () => [],
      });
      for await (const _ of output) void _;
      expect(views).toHaveLength(20);
      views.forEach((view, seq) => expect(view.equals(Buffer.alloc(70000 + seq * 1000, 65 + seq)), `row ${seq}`).toBe(true));
    } finally {
      connection.destroy();
    }
  });
});
