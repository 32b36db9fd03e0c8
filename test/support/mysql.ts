import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';

/** The MariaDB server every MySQL test runs against (the machine's, on loopback). */
export const MYSQL_ADMIN_URI = process.env.REPLIBYTE_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/mysql';

/** The `mysql` client binary on PATH (MariaDB calls it `mariadb`). */
export const MYSQL_CLIENT = spawnSync('mariadb', ['--version']).status === 0 ? 'mariadb' : 'mysql';
export const MYSQL_DUMP = spawnSync('mariadb-dump', ['--version']).status === 0 ? 'mariadb-dump' : 'mysqldump';

export interface MysqlTestDatabase {
  name: string;
  uri: string;
  /** Runs SQL in the database (multiple statements allowed; a fresh connection each time). */
  sql<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Rows as raw bytes (typeCast off): what a byte-for-byte comparison wants. */
  raw(text: string): Promise<Array<Array<Buffer | null>>>;
  /** Runs a script through the client binary (it understands DELIMITER). */
  client(script: string | Buffer): { status: number | null; stderr: string };
  clientArgs(): string[];
  drop(): Promise<void>;
}

function connectionOptions(database?: string): mysql.ConnectionOptions {
  const url = new URL(MYSQL_ADMIN_URI);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    charset: 'utf8mb4',
    multipleStatements: true,
    dateStrings: true,
    ...(database && { database }),
  };
}

export async function createMysqlDatabase(label = 'db'): Promise<MysqlTestDatabase> {
  const name = `rbt_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(connectionOptions());
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await admin.end();
  const url = new URL(MYSQL_ADMIN_URI);
  url.pathname = `/${name}`;
  const clientArgs = () => ['-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username || 'root'), '--default-character-set=utf8mb4', name];
  return {
    name,
    uri: url.toString(),
    async sql(text, values) {
      const connection = await mysql.createConnection(connectionOptions(name));
      try {
        await connection.query("SET time_zone = '+00:00'");
        const [result] = await connection.query(text, values);
        return result as never;
      } finally {
        await connection.end();
      }
    },
    async raw(text) {
      const connection = await mysql.createConnection(connectionOptions(name));
      try {
        await connection.query("SET time_zone = '+00:00'");
        const [result] = await connection.query({ sql: text, rowsAsArray: true, typeCast: false });
        return result as never;
      } finally {
        await connection.end();
      }
    },
    client(script) {
      const result = spawnSync(MYSQL_CLIENT, clientArgs(), { input: script, encoding: 'utf8', maxBuffer: 1 << 30 });
      return { status: result.status, stderr: result.stderr };
    },
    clientArgs,
    async drop() {
      const connection = await mysql.createConnection(connectionOptions());
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

export async function loadMysqlFixture(db: MysqlTestDatabase, file: string): Promise<void> {
  const script = await readFile(fileURLToPath(new URL(`../fixtures/mysql/${file}`, import.meta.url)));
  const result = db.client(script);
  if (result.status !== 0) throw new Error(`loading ${file}: ${result.stderr}`);
}
