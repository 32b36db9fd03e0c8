import type { TestDatabase } from './postgres.js';

export interface ForeignKeyCheck {
  constraint: string;
  table: string;
  validated: boolean;
  /** Rows whose (non-null) referencing columns match no row of the referenced table. */
  orphans: number;
}

/**
 * Every foreign key of the database, with whether PostgreSQL validated it and an independent count of
 * the rows that break it (so a constraint created NOT VALID, or dropped, would still be caught).
 */
export async function checkForeignKeys(db: TestDatabase): Promise<ForeignKeyCheck[]> {
  const keys = await db.sql<{ name: string; child: string; parent: string; columns: string[]; referenced: string[]; convalidated: boolean }>(`
    SELECT con.conname AS name, con.conrelid::regclass::text AS child, con.confrelid::regclass::text AS parent, con.convalidated,
      (SELECT array_agg(quote_ident(a.attname) ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS columns,
      (SELECT array_agg(quote_ident(a.attname) ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS referenced
    FROM pg_constraint con WHERE con.contype = 'f' AND con.conparentid = 0 ORDER BY 2, 1`);
  const checks: ForeignKeyCheck[] = [];
  for (const key of keys) {
    const notNull = key.columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
    const join = key.columns.map((c, i) => `p.${key.referenced[i]} = c.${c}`).join(' AND ');
    const rows = await db.sql<{ n: string }>(
      `SELECT count(*) AS n FROM ${key.child} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${key.parent} p WHERE ${join})`,
    );
    checks.push({ constraint: key.name, table: key.child, validated: key.convalidated, orphans: Number(rows[0]!.n) });
  }
  return checks;
}
