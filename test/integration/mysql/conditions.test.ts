/**
 * `when:` conditions and options read from the row against MariaDB, live and from a mysqldump script on
 * stdin: staff rows stay as they are (a BOOLEAN, tinyint(1), read as a boolean), the others get a fake
 * first name and an email made from it.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDump, restoreDump } from '../../../src/index.js';
import { runCli } from '../../support/cli.js';
import { createMysqlDatabase, MYSQL_DUMP, type MysqlTestDatabase } from '../../support/mysql.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

const TEST_TIMEOUT = 600_000;

function yaml(source: string, database: string, destination: MysqlTestDatabase, store: string): string {
  return `
salt: conditions-salt
source:
  ${source}
  transformers:
    - database: ${database}
      table: people
      columns:
        - { name: first_name, transformer_name: first-name, when: "not is_staff and joined >= '2020-01-05'" }
        - name: email
          transformer_name: email
          when: "not is_staff and joined >= '2020-01-05'"
          transformer_options: { first_name: { transformed: first_name }, last_name: { column: last_name } }
datastore:
  local_disk:
    dir: ${store}
destination:
  connection_uri: ${destination.uri}
`;
}

type Person = { id: number; first_name: string; last_name: string; email: string; is_staff: number; joined: string };
const ROWS = 'SELECT id, first_name, last_name, email, is_staff, joined FROM people ORDER BY id';

function expectTransformed(before: Person[], after: Person[]): void {
  expect(after).toHaveLength(before.length);
  let changed = 0;
  for (const [i, person] of after.entries()) {
    const original = before[i]!;
    if (original.is_staff === 1 || original.joined < '2020-01-05') {
      expect(person).toEqual(original);
      continue;
    }
    changed += 1;
    expect(person.first_name).not.toBe(original.first_name);
    expect(person.email.startsWith(person.first_name.normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase()), `${person.email} from ${person.first_name}`).toBe(true);
    expect(person.email).toMatch(/@example\.(com|net|org)$/);
  }
  expect(changed).toBeGreaterThan(100);
}

describe('conditions and options read from the row (MariaDB)', () => {
  let source: MysqlTestDatabase;
  let live: MysqlTestDatabase;
  let script: MysqlTestDatabase;
  let workspace: Workspace;
  let before: Person[];

  beforeAll(async () => {
    [source, live, script, workspace] = await Promise.all([createMysqlDatabase('cond_src'), createMysqlDatabase('cond_live'), createMysqlDatabase('cond_script'), createWorkspace()]);
    await source.sql(`CREATE TABLE people (id int PRIMARY KEY, first_name varchar(40) NOT NULL, last_name varchar(40) NOT NULL, email varchar(120) NOT NULL UNIQUE,
                                           is_staff BOOLEAN NOT NULL, joined datetime NOT NULL)`);
    const values = Array.from({ length: 400 }, (_, i) => `(${i + 1}, 'First${i + 1}', 'Last${i + 1}', 'person${i + 1}@acme.com', ${i % 7 === 0 ? 1 : 0}, '2020-01-01 00:00:00' + INTERVAL ${i} HOUR)`);
    await source.sql(`INSERT INTO people VALUES ${values.join(', ')}`);
    before = await source.sql<Person>(ROWS);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await Promise.all([source?.drop(), live?.drop(), script?.drop(), workspace?.remove()]);
  });

  it('live: staff and early rows untouched, the others faked with emails from their fake names', async () => {
    const config = workspace.config(yaml(`connection_uri: ${source.uri}`, source.name, live, workspace.storeDir));
    const manifest = await createDump(config, { name: 'mysql-cond' });
    expect(manifest.transformed.map((t) => t.when)).toEqual(["not is_staff and joined >= '2020-01-05'", "not is_staff and joined >= '2020-01-05'"]);
    await restoreDump(config, { value: 'mysql-cond' });
    expectTransformed(before, await live.sql<Person>(ROWS));
  }, TEST_TIMEOUT);

  it('a mysqldump script on stdin gives the same rows', async () => {
    const dumped = spawnSync(MYSQL_DUMP, [...source.clientArgs()], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(dumped.status, dumped.stderr).toBe(0);
    const configPath = await workspace.writeConfig(yaml('{}', source.name, script, workspace.storeDir).replace('  {}\n', ''));
    const created = await runCli(['-c', configPath, 'dump', 'create', '-s', 'mysql', '-i', '-n', 'mysql-cond-script'], { input: dumped.stdout, timeoutMs: 280_000 });
    expect(created.stderr).toContain('dump mysql-cond-script written');
    const restored = await runCli(['-c', configPath, 'dump', 'restore', 'remote', '-v', 'mysql-cond-script'], { timeoutMs: 280_000 });
    expect(restored.code, restored.stderr).toBe(0);
    const rows = await script.sql<Person>(ROWS);
    expectTransformed(before, rows);
    const withoutEmail = ({ email: _email, ...rest }: Person) => rest;
    expect(rows.map(withoutEmail)).toEqual((await live.sql<Person>(ROWS)).map(withoutEmail));
  }, TEST_TIMEOUT);
});
