import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatastore, readManifest } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';
import { sampleBound } from '../../../src/subset/plan.js';

const ROWS = 200_000;
/** Reports the peak resident memory of the CLI process on stderr when it exits. */
const REPORT_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss_kb '+process.resourceUsage().maxRSS+'\\n'))`;

describe('MySQL dump memory', () => {
  let source: MysqlTestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    [source, workspace] = await Promise.all([createMysqlDatabase('mem'), createWorkspace()]);
    // ~1 KB per row, ~200 MB in all, built by the server (MariaDB's SEQUENCE engine).
    await source.sql(`CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL, note varchar(40), data blob) ENGINE=InnoDB;
      INSERT INTO big SELECT seq, REPEAT(MD5(seq), 30), CONCAT('row ', seq), UNHEX(MD5(seq)) FROM seq_1_to_${ROWS}`);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([source?.drop(), workspace?.remove()]);
  });

  it('dumps a ~200 MB table with a transformer under a 64 MB heap', async () => {
    const configPath = await workspace.writeConfig(`salt: s
source:
  connection_uri: ${source.uri}
  transformers:
    - database: ${source.name}
      table: big
      columns:
        - { name: note, transformer_name: random }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', 'big'], {
      nodeArgs: ['--max-old-space-size=64', '--import', REPORT_RSS],
      timeoutMs: 280_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const datastore = await openDatastore(workspace.config(`datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`));
    const manifest = await readManifest(datastore, 'big');
    await datastore.close();
    const part = manifest.parts.find((p) => p.table === 'big')!;
    expect(part.rows).toBe(ROWS);
    expect(part.rawBytes).toBeGreaterThan(190_000_000);
    const rssKb = Number(/maxrss_kb (\d+)/.exec(result.stderr)?.[1]);
    console.log(`dump of ${part.rawBytes} raw bytes: peak RSS ${(rssKb / 1024).toFixed(0)} MB`);
    expect(rssKb).toBeLessThan(200 * 1024);
  }, 300_000);

  it('dumps a random half of it (a subset: keys in temporary tables, rows streamed) under a 64 MB heap', async () => {
    const configPath = await workspace.writeConfig(`source:
  connection_uri: ${source.uri}
  database_subset: { database: ${source.name}, table: big, strategy_name: random, strategy_options: { percent: 50, seed: 1 } }
datastore:
  local_disk:
    dir: ${workspace.storeDir}
`);
    const result = await runCli(['-c', configPath, 'dump', 'create', '-n', 'big-half'], {
      nodeArgs: ['--max-old-space-size=64', '--import', REPORT_RSS],
      timeoutMs: 280_000,
    });
    expect(result.code, result.stderr).toBe(0);
    // About half of them: exactly those the sample's rule (decision 0040) keeps for seed 1.
    const [sampled] = await source.sql<{ n: number }>(
      `SELECT COUNT(*) AS n FROM big WHERE CAST(CONV(LEFT(MD5(CONCAT_WS(':', '1', id)), 16), 16, 10) AS UNSIGNED) < ${sampleBound(50)}`,
    );
    const kept = Number(sampled!.n);
    expect(Math.abs(kept - ROWS / 2)).toBeLessThan(ROWS / 50);
    // The count of a table over 32 MB is the server's estimate (~N): the subset report does not count it.
    expect(result.stderr).toMatch(new RegExp(`  ${source.name}\\.big: ${kept} of ~?\\d+ rows kept \\(start\\)`));
    const datastore = await openDatastore(workspace.config(`datastore:\n  local_disk:\n    dir: ${workspace.storeDir}\n`));
    const manifest = await readManifest(datastore, 'big-half');
    await datastore.close();
    const part = manifest.parts.find((p) => p.table === 'big')!;
    expect(part.rows).toBe(kept);
    const rssKb = Number(/maxrss_kb (\d+)/.exec(result.stderr)?.[1]);
    console.log(`subset dump of ${part.rawBytes} raw bytes: peak RSS ${(rssKb / 1024).toFixed(0)} MB`);
    expect(rssKb).toBeLessThan(200 * 1024);
  }, 300_000);
});
