import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server every test runs against (the machine's, on loopback). */
export const PG_ADMIN_URI = process.env.REPLIBYTE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUri(name: string): string {
  const url = new URL(PG_ADMIN_URI);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  uri: string;
  /** Runs SQL in the database (a fresh connection each time). */
  sql<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/** A throwaway database with a unique name, so tests run in parallel without seeing each other. */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `rbt_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const uri = databaseUri(name);
  return {
    name,
    uri,
    async sql(text, values) {
      const client = new pg.Client({ connectionString: uri });
      await client.connect();
      try {
        const result = await client.query(text, values);
        const last = Array.isArray(result) ? result[result.length - 1] : result;
        return last.rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URI });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
