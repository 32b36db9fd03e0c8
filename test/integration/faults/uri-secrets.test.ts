import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, PG_ADMIN_URI, type TestDatabase } from '../../support/postgres.js';
import { createWorkspace, type Workspace } from '../../support/workspace.js';

/**
 * A credential in a connection URI (user info, `?password=`, `?sslpassword=`, MySQL's and MongoDB's
 * forms, an S3 endpoint's) is never printed, never in a `--json` event, and never on the command line of
 * a child (pg_dump): `ps` shows every user's arguments.
 */

const SECRET = 'SECRET123';
const REAL_PG_DUMP = execFileSync('sh', ['-c', 'command -v pg_dump']).toString().trim();

async function adminSql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URI });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function configYaml(sourceUri: string, store: string, destinationUri?: string): string {
  return `
salt: test-salt
source:
  connection_uri: '${sourceUri}'
datastore:
  local_disk:
    dir: ${store}
${destinationUri ? `destination:\n  connection_uri: '${destinationUri}'\n` : ''}`;
}

describe('credentials in connection URIs stay out of output and child arguments', () => {
  let source: TestDatabase;
  let destination: TestDatabase;
  let workspace: Workspace;
  const role = `rbt_secret_${randomBytes(4).toString('hex')}`;
  /** pg_dump wrapped: records its arguments, whether the password reached it, then runs the real one. */
  let shim: string;

  beforeAll(async () => {
    [source, destination, workspace] = await Promise.all([createTestDatabase('secsrc'), createTestDatabase('secdst'), createWorkspace()]);
    // pg_hba trusts 127.0.0.1, so the password is not checked: what matters is where it shows up.
    await adminSql(`CREATE ROLE ${role} LOGIN PASSWORD '${SECRET}'`);
    await adminSql(`ALTER DATABASE "${source.name}" OWNER TO ${role}`);
    await adminSql(`ALTER DATABASE "${destination.name}" OWNER TO ${role}`);
    await source.sql(`
      CREATE TABLE public.accounts (id int PRIMARY KEY, email text);
      INSERT INTO public.accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 100) g;
      ALTER TABLE public.accounts OWNER TO ${role};
    `);
    shim = join(workspace.dir, 'pg_dump');
    await writeFile(
      shim,
      `#!/bin/sh
printf '%s\\n' "$0" "$@" >> "${workspace.dir}/pg_dump.argv"
if [ "$PGPASSWORD" = "${SECRET}" ]; then echo password-in-env >> "${workspace.dir}/pg_dump.env"; fi
if [ -n "$PGSERVICEFILE" ]; then
  echo "$PGSERVICEFILE" >> "${workspace.dir}/pg_dump.servicefile"
  stat -c %a "$PGSERVICEFILE" >> "${workspace.dir}/pg_dump.servicefile"
  grep -q "^sslpassword=${SECRET}$" "$PGSERVICEFILE" && echo sslpassword-in-file >> "${workspace.dir}/pg_dump.env"
fi
exec "${REAL_PG_DUMP}" "$@"
`,
    );
    await chmod(shim, 0o755);
  });

  afterAll(async () => {
    await Promise.all([source?.drop(), destination?.drop()]);
    await adminSql(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await workspace?.remove();
  });

  const uriWith = (db: TestDatabase, form: 'query' | 'userinfo' | 'sslpassword', port = 5432) => {
    const base = `127.0.0.1:${port}/${db.name}`;
    if (form === 'userinfo') return `postgres://${role}:${SECRET}@${base}`;
    if (form === 'query') return `postgres://${role}@${base}?connect_timeout=10&password=${SECRET}`;
    return `postgres://${role}@${base}?sslpassword=${SECRET}&password=${SECRET}`;
  };

  async function cli(args: string[], yaml: string, env: NodeJS.ProcessEnv = {}) {
    const path = await workspace.writeConfig(yaml);
    return runCli(['-c', path, ...args], { env: { REPLIBYTE_PG_DUMP: shim, ...env } });
  }

  for (const form of ['query', 'userinfo'] as const) {
    it(`config check (text and --json) masks a ${form} password and still names the server`, async () => {
      const yaml = configYaml(uriWith(source, form), workspace.storeDir);
      const text = await cli(['config', 'check'], yaml);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stderr).toContain(`127.0.0.1:5432/${source.name}`);
      expect(text.stderr).toContain('***');
      expect(text.stdout + text.stderr).not.toContain(SECRET);
      const json = await cli(['config', 'check', '--json'], yaml);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).checkedAgainst).toMatch(/\*\*\*/);
      expect(json.stdout + json.stderr).not.toContain(SECRET);
    });

    it(`a connection error (wrong port) masks a ${form} password`, async () => {
      const yaml = configYaml(uriWith(source, form, 1), workspace.storeDir);
      for (const args of [['config', 'check'], ['dump', 'create', '--json', '-n', `refused-${form}`]]) {
        const result = await cli(args, yaml);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toMatch(/cannot connect to the source postgres:\/\/.*127\.0\.0\.1:1\//);
        expect(result.stdout + result.stderr).not.toContain(SECRET);
      }
    });
  }

  it('dump create and restore (--json): no event, line or pg_dump argument holds the password; pg_dump gets it from its environment', async () => {
    for (const form of ['query', 'userinfo', 'sslpassword'] as const) {
      const name = `secret-${form}`;
      const yaml = configYaml(uriWith(source, form), workspace.storeDir, uriWith(destination, form));
      const created = await cli(['dump', 'create', '--json', '-n', name], yaml);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain('"type"');
      expect(created.stdout + created.stderr).not.toContain(SECRET);
      const restored = await cli(['dump', 'restore', 'remote', '--json', '-v', name, '--jobs', '2'], yaml);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout + restored.stderr).not.toContain(SECRET);
    }
    const argv = await readFile(join(workspace.dir, 'pg_dump.argv'), 'utf8');
    // pre-data and post-data, three dumps: six runs, each with its --dbname (without the credentials).
    expect(argv.match(/^--dbname=postgres:\/\//gm)).toHaveLength(6);
    expect(argv).toContain(`--dbname=postgres://${role}@127.0.0.1:5432/${source.name}?connect_timeout=10\n`);
    expect(argv).toContain('service=replibyte');
    expect(argv).not.toContain(SECRET);
    const env = (await readFile(join(workspace.dir, 'pg_dump.env'), 'utf8')).trim().split('\n');
    expect(env.filter((line) => line === 'password-in-env')).toHaveLength(6);
    expect(env.filter((line) => line === 'sslpassword-in-file')).toHaveLength(2);
    const [serviceFile, mode] = (await readFile(join(workspace.dir, 'pg_dump.servicefile'), 'utf8')).trim().split('\n');
    expect(mode).toBe('600');
    // Removed once pg_dump is done.
    await expect(stat(serviceFile!)).rejects.toThrow(/ENOENT/);
  });

  it('MySQL, MongoDB and S3 credentials are masked in their connection errors', async () => {
    const cases: Array<{ yaml: string; args: string[]; where: RegExp }> = [
      {
        yaml: configYaml(`mysql://root:${SECRET}@127.0.0.1:1/app?password=${SECRET}`, workspace.storeDir),
        args: ['dump', 'create', '-n', 'mysql-refused'],
        where: /mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/app\?password=\*\*\*/,
      },
      {
        yaml: configYaml(`mongodb://app:${SECRET}@127.0.0.1:1,127.0.0.1:2/app?serverSelectionTimeoutMS=300`, workspace.storeDir),
        args: ['dump', 'create', '-n', 'mongo-refused'],
        where: /mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1,127\.0\.0\.1:2\/app/,
      },
      {
        yaml: `
datastore:
  aws:
    bucket: secrets
    region: us-east-1
    credentials: { access_key_id: AKIATEST, secret_access_key: ${SECRET} }
    endpoint: { custom: 'http://AKIATEST:${SECRET}@127.0.0.1:1/?X-Amz-Security-Token=${SECRET}' }
`,
        args: ['dump', 'list'],
        where: /127\.0\.0\.1:1/,
      },
    ];
    for (const { yaml, args, where } of cases) {
      const result = await cli(args, yaml);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(where);
      expect(result.stdout + result.stderr).not.toContain(SECRET);
    }
  });
});
