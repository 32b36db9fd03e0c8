import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError } from '../../errors.js';
import { quoteMysqlIdentifier, rawSql } from '../../engines/mysql/identifiers.js';
import type { Reporter } from '../../reporting/reporter.js';

/**
 * --data-only on MySQL: the dump's tables are emptied (TRUNCATE, allowed under the restore's
 * FOREIGN_KEY_CHECKS=0) and loaded with foreign-key checks off, as every MySQL restore is. MySQL's
 * TRUNCATE never cascades, so the cascade is made explicit here as on PostgreSQL: a table outside the
 * restore that references one of them is refused with the list, or, with `cascade`, emptied too.
 * Triggers cannot be turned off in MySQL: they fire on the loaded rows (README "Restore modes").
 */
export interface MysqlEmptying {
  tables: string[];
  /** Tables outside the restore that reference them, emptied too (--no-foreign-keys-check). */
  cascaded: string[];
  described: string[];
}

/** Checks what --data-only is about to empty; changes nothing (a refusal leaves the destination as it was). */
export async function planMysqlEmptying(connection: Connection, parts: readonly ManifestPart[], cascade: boolean, where: string): Promise<MysqlEmptying> {
  const names = [...new Set(parts.filter((part) => part.kind === 'table-data').map((part) => part.table!))];
  if (names.length === 0) return { tables: [], cascaded: [], described: [] };
  const [present] = await connection.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  );
  const existing = new Set(present.map((row) => String(row.name)));
  const missing = names.filter((name) => !existing.has(name));
  if (missing.length > 0) {
    throw new ReplibyteError(`--data-only: ${where} lacks tables of the dump: ${missing.join(', ')}`, 'restore the schema first (without --data-only), or leave them out with --exclude-table');
  }
  const [references] = await connection.query<RowDataPacket[]>(
    `SELECT DISTINCT TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent FROM information_schema.REFERENTIAL_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = DATABASE() AND UNIQUE_CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2`,
  );
  // What a cascade would empty besides them: every table that references one, transitively.
  const emptied = new Set(names);
  const described: string[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of references) {
      const child = String(row.child);
      if (emptied.has(String(row.parent)) && !emptied.has(child)) {
        emptied.add(child);
        described.push(`${child} (references ${String(row.parent)})`);
        grew = true;
      }
    }
  }
  if (described.length > 0 && !cascade) {
    throw new ReplibyteError(
      `--data-only empties the tables it loads, and tables outside this restore reference them: ${described.join(', ')}; emptying would leave their rows dangling`,
      'restore them too (-t), or empty them as well with --no-foreign-keys-check',
    );
  }
  return { tables: names, cascaded: [...emptied].filter((name) => !names.includes(name)), described };
}

export async function emptyMysqlTables(connection: Connection, plan: MysqlEmptying, reporter: Reporter): Promise<void> {
  for (const name of [...plan.tables, ...plan.cascaded]) await connection.query(rawSql(`TRUNCATE TABLE ${quoteMysqlIdentifier(name)}`));
  reporter.info(`data-only: emptied ${plan.tables.length} table(s); triggers fire on the loaded rows (MySQL cannot turn them off)`);
  if (plan.cascaded.length > 0) reporter.warn(`data-only: also emptied, as TRUNCATE … CASCADE would: ${plan.described.join(', ')}`);
}
