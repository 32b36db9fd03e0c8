import type { TestDatabase } from './postgres.js';

/**
 * A table of about `megabytes` MB in COPY text (≈ 200 bytes a row of hex that varies row to row), for
 * dumps several times larger than an S3 multipart part. Made by the server in one statement.
 */
export async function createBigTable(db: TestDatabase, megabytes: number, table = 'big'): Promise<number> {
  const rows = Math.round((megabytes * 1_000_000) / 200);
  await db.sql(`CREATE TABLE ${table} (id integer PRIMARY KEY, a text NOT NULL, b text NOT NULL)`);
  await db.sql(
    `INSERT INTO ${table}
     SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text),
               md5((g * 17)::text) || md5((g * 19)::text) || md5((g * 23)::text)
     FROM generate_series(1, $1) AS g`,
    [rows],
  );
  return rows;
}
