import type pg from 'pg';
import type { ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { qualifiedName } from '../../engines/postgres/catalog.js';

/** How a --data-only restore loads rows into tables that have the schema already. */
export interface DataOnlyLoad {
  /** The table-data parts in the order to load them. */
  parts: ManifestPart[];
  /** Statements to run after the rows (triggers back on). */
  after: string[];
}

/**
 * --data-only: the dump's tables are emptied first, in the restore's transaction. TRUNCATE … CASCADE
 * semantics are made explicit: a table outside the restore that references one of them would be
 * emptied too, so it is refused with the list, unless `cascade` (--no-foreign-keys-check) says to
 * empty it as well (named in a warning). Then, as pg_restore --disable-triggers does, a superuser
 * loads with every trigger off (foreign-key checks included) and turns them back on; another role
 * loads parents before children (the destination's foreign keys decide), with its triggers firing.
 */
export async function prepareDataOnly(client: pg.ClientBase, parts: ManifestPart[], cascade: boolean, where: string, reporter: Reporter): Promise<DataOnlyLoad> {
  const tableParts = parts.filter((part) => part.kind === 'table-data');
  const names = [...new Set(tableParts.map((part) => qualifiedName(part.schema!, part.table!)))];
  if (names.length === 0) return { parts: tableParts, after: [] };
  const { rows: found } = await client.query<{ name: string; oid: number | null }>(
    'SELECT name, to_regclass(name)::oid::int AS oid FROM unnest($1::text[]) AS name',
    [names],
  );
  const missing = found.filter((row) => row.oid === null).map((row) => row.name);
  if (missing.length > 0) {
    throw new ReplibyteError(`--data-only: ${where} lacks tables of the dump: ${missing.join(', ')}`, 'restore the schema first (without --data-only), or leave them out with --exclude-table');
  }
  const oids = found.map((row) => row.oid!);
  // What TRUNCATE … CASCADE would empty besides them: every table that references one, transitively.
  const { rows: cascaded } = await client.query<{ name: string }>(
    `WITH RECURSIVE referencing(oid) AS (
       SELECT unnest($1::oid[])
       UNION SELECT c.conrelid FROM pg_constraint c JOIN referencing r ON c.confrelid = r.oid WHERE c.contype = 'f'
     ) SELECT oid::regclass::text AS name FROM referencing WHERE oid <> ALL($1::oid[]) ORDER BY 1`,
    [oids],
  );
  const outside = cascaded.map((row) => row.name);
  if (outside.length > 0 && !cascade) {
    throw new ReplibyteError(
      `--data-only empties the tables it loads, and TRUNCATE … CASCADE would also empty tables outside this restore that reference them: ${outside.join(', ')}; nothing was changed`,
      'restore them too (-t), or empty them as well with --no-foreign-keys-check',
    );
  }
  const { rows: edges } = await client.query<{ childOid: number; parentOid: number }>(
    `SELECT DISTINCT conrelid::int AS "childOid", confrelid::int AS "parentOid"
     FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY($1::oid[]) AND conrelid = ANY($1::oid[]) AND conrelid <> confrelid`,
    [oids],
  );
  await client.query(`TRUNCATE ${names.join(', ')}${cascade ? ' CASCADE' : ''}`);
  reporter.info(`data-only: emptied ${names.length} table(s)`);
  if (outside.length > 0) reporter.warn(`data-only: also emptied by TRUNCATE … CASCADE (they reference the tables loaded): ${outside.join(', ')}`);

  const { rows: [role] } = await client.query<{ superuser: boolean }>('SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user');
  if (role?.superuser) {
    for (const name of names) await client.query(`ALTER TABLE ${name} DISABLE TRIGGER ALL`);
    reporter.info('data-only: triggers and foreign-key checks off while the rows load (as pg_restore --disable-triggers)');
    return { parts: tableParts, after: names.map((name) => `ALTER TABLE ${name} ENABLE TRIGGER ALL`) };
  }
  reporter.info('data-only: not a superuser, so triggers stay on: loading referenced tables before the tables that reference them');
  await client.query('SET CONSTRAINTS ALL DEFERRED');
  return { parts: parentsFirst(tableParts, found, edges), after: [] };
}

/** Table parts ordered so that a table comes after those it references (in dump order otherwise; a cycle keeps dump order). */
function parentsFirst(parts: ManifestPart[], found: Array<{ name: string; oid: number | null }>, edges: Array<{ childOid: number; parentOid: number }>): ManifestPart[] {
  const nameOf = new Map(found.map((row) => [row.oid!, row.name]));
  const parentsOf = new Map<string, Set<string>>();
  for (const edge of edges) {
    const child = nameOf.get(edge.childOid);
    const parent = nameOf.get(edge.parentOid);
    if (child && parent) parentsOf.set(child, (parentsOf.get(child) ?? new Set()).add(parent));
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const parent of parentsOf.get(name) ?? []) visit(parent);
    visiting.delete(name);
    order.push(name);
  };
  for (const row of found) visit(row.name);
  const rank = new Map(order.map((name, index) => [name, index]));
  return [...parts].sort((a, b) => rank.get(qualifiedName(a.schema!, a.table!))! - rank.get(qualifiedName(b.schema!, b.table!))!);
}
