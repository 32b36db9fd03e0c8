import { q } from './mysql-compare.js';
import type { MysqlTestDatabase } from './mysql.js';

export interface MysqlForeignKeyCheck {
  constraint: string;
  table: string;
  /** Rows whose referencing columns (all non-null: MySQL's MATCH SIMPLE) find no row of the referenced table. */
  orphans: number;
}

/**
 * Every foreign key of the database with an independent count of the rows that break it: a MySQL
 * restore loads rows with FOREIGN_KEY_CHECKS=0, so the constraints being there proves nothing about the
 * rows; a LEFT JOIN … WHERE parent IS NULL per key does.
 */
export async function checkMysqlForeignKeys(db: MysqlTestDatabase): Promise<MysqlForeignKeyCheck[]> {
  const columns = await db.sql<{ name: string; child: string; parent: string; column: string; referenced: string }>(
    `SELECT CONSTRAINT_NAME AS name, TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent, COLUMN_NAME AS \`column\`, REFERENCED_COLUMN_NAME AS referenced
     FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
  );
  const keys = new Map<string, { name: string; child: string; parent: string; columns: string[]; referenced: string[] }>();
  for (const row of columns) {
    const id = `${row.child}\0${row.name}`;
    const key = keys.get(id) ?? { name: row.name, child: row.child, parent: row.parent, columns: [], referenced: [] };
    key.columns.push(row.column);
    key.referenced.push(row.referenced);
    keys.set(id, key);
  }
  const checks: MysqlForeignKeyCheck[] = [];
  for (const key of keys.values()) {
    const join = key.columns.map((c, i) => `p.${q(key.referenced[i]!)} = c.${q(c)}`).join(' AND ');
    const notNull = key.columns.map((c) => `c.${q(c)} IS NOT NULL`).join(' AND ');
    const [row] = await db.sql<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${q(key.child)} c LEFT JOIN ${q(key.parent)} p ON ${join} WHERE ${notNull} AND p.${q(key.referenced[0]!)} IS NULL`,
    );
    checks.push({ constraint: key.name, table: key.child, orphans: Number(row!.n) });
  }
  return checks;
}
