import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './postgres.js';

export async function loadFixture(db: TestDatabase, name: string): Promise<void> {
  const sql = await readFile(fileURLToPath(new URL(`../fixtures/postgres/${name}`, import.meta.url)), 'utf8');
  await db.sql(sql);
}
