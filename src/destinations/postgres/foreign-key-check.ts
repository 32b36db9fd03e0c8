import type pg from 'pg';
import type { ForeignKeyStatement } from './post-data-plan.js';

/**
 * How a restore checks a foreign key against the rows it loaded (docs/decisions/0036).
 *
 * PostgreSQL checks a foreign key it adds or validates with one query of its own: the referencing rows
 * anti-joined to the referenced ones. Its planner prices that query as a hash anti join of two
 * sequential scans, and on a restored database that is the slow plan: every referencing row probes a
 * hash table of every referenced key (order_items → orders at bench scale 1: 5 M probes into 2 M keys,
 * which spills to disk at the default maintenance_work_mem). Where both tables were written frozen
 * (decision 0032: every page all-visible) and the referencing table has a btree index leading with the
 * key's columns (pg_dump builds every index before the first foreign key), a merge anti join of two
 * index-only scans reads both key lists in order, never touching a table page: 2 to 4 times faster.
 * The planner does not pick it by itself (it prices each index page as a random read), so for those
 * keys, and only when the plan it would then choose is exactly that, hash joins are turned off for the
 * one statement that validates. The check itself is PostgreSQL's, unchanged: the key is as valid and the
 * error as precise as without this.
 */

/** The settings PostgreSQL runs its check query with (ri_triggers.c, RI_Initial_Check), for the plan asked for. */
const CHECK_QUERY_SETTINGS = [
  "SELECT set_config('work_mem', current_setting('maintenance_work_mem'), true)",
  "SELECT set_config('hash_mem_multiplier', '1', true)",
  // SPI plans the check without parallel workers.
  "SELECT set_config('max_parallel_workers_per_gather', '0', true)",
];

interface KeyShape {
  eligible: boolean;
  child: string;
  parent: string;
  fullMatch: boolean;
  childColumns: string[];
  parentColumns: string[];
  operators: string[];
}

/**
 * Whether the check of this constraint (already added NOT VALID) should run with hash joins off: both
 * tables plain and all-visible, and the plan the planner chooses without hash joins reads only
 * index-only scans, nothing sorted. `inTransaction`: the caller is inside a transaction block (the
 * question is asked in a savepoint rolled back after, so that nothing it sets or fails stays).
 */
export async function mergeJoinCheckPays(client: pg.ClientBase, relation: string, constraint: string, inTransaction: boolean): Promise<boolean> {
  const { rows } = await client.query<KeyShape>(
    `SELECT c.relkind = 'r' AND p.relkind = 'r' AND c.relpages > 0 AND c.relallvisible >= c.relpages AND p.relallvisible >= p.relpages AS eligible,
       format('%I.%I', cn.nspname, c.relname) AS child, format('%I.%I', pn.nspname, p.relname) AS parent,
       k.confmatchtype = 'f' AS "fullMatch",
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i) AS "childColumns",
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.i) AS "parentColumns",
       ARRAY(SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname) FROM unnest(k.conpfeqop) WITH ORDINALITY AS u(op, i)
             JOIN pg_operator o ON o.oid = u.op JOIN pg_namespace n ON n.oid = o.oprnamespace ORDER BY u.i) AS operators
     FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
     JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
     WHERE k.conrelid = $1::regclass AND k.conname = $2 AND k.contype = 'f'`,
    [relation, constraint],
  );
  const key = rows[0];
  if (!key?.eligible || key.childColumns.length === 0 || key.childColumns.length !== key.operators.length) return false;
  const plan = await rolledBack(client, inTransaction, async () => {
    for (const sql of CHECK_QUERY_SETTINGS) await client.query(sql);
    await client.query("SELECT set_config('enable_hashjoin', 'off', true)");
    const { rows: explained } = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${checkQuery(key)}`);
    return explained[0]?.['QUERY PLAN'];
  }).catch(() => undefined);
  return readsIndexesOnly(plan);
}

/** The query PostgreSQL checks a foreign key with, as ri_triggers.c writes it. */
function checkQuery(key: KeyShape): string {
  const on = key.childColumns.map((column, i) => `pk.${key.parentColumns[i]} ${key.operators[i]} fk.${column}`).join(' AND ');
  const present = key.childColumns.map((column) => `fk.${column} IS NOT NULL`).join(key.fullMatch ? ' OR ' : ' AND ');
  return `SELECT ${key.childColumns.map((column) => `fk.${column}`).join(', ')} FROM ONLY ${key.child} fk LEFT OUTER JOIN ONLY ${key.parent} pk ON ${on} WHERE pk.${key.parentColumns[0]} IS NULL AND (${present})`;
}

interface PlanNode {
  'Node Type'?: string;
  Plans?: PlanNode[];
}

/** True for a plan whose every leaf is an index-only scan and that sorts nothing. */
export function readsIndexesOnly(explained: unknown): boolean {
  const root = Array.isArray(explained) ? (explained[0] as { Plan?: PlanNode } | undefined)?.Plan : undefined;
  if (!root) return false;
  const walk = (node: PlanNode): boolean => {
    const type = node['Node Type'] ?? '';
    if (/Sort|Hash/.test(type)) return false;
    const children = node.Plans ?? [];
    if (children.length === 0) return type === 'Index Only Scan';
    return children.every(walk);
  };
  return walk(root);
}

/** Runs `work` and undoes whatever it set: in a savepoint inside a transaction, else in a transaction of its own. */
async function rolledBack<T>(client: pg.ClientBase, inTransaction: boolean, work: () => Promise<T>): Promise<T> {
  const [begin, undo] = inTransaction ? ['SAVEPOINT replibyte_plan', 'ROLLBACK TO SAVEPOINT replibyte_plan; RELEASE SAVEPOINT replibyte_plan'] : ['BEGIN', 'ROLLBACK'];
  await client.query(begin);
  try {
    return await work();
  } finally {
    await client.query(undo);
  }
}

/**
 * A foreign key split by planPostData (`addNotValid`, `validate`, `constraint`): added NOT VALID, then
 * validated, with hash joins off for that one statement where mergeJoinCheckPays. `inTransaction`: the
 * restore's own transaction (--jobs 1), whose settings are put back after; else the validation runs in a
 * transaction of its own. `add: false` when the caller added it already (--jobs N adds and validates as
 * two steps of its schedule).
 */
export async function validateForeignKey(client: pg.ClientBase, fk: ForeignKeyStatement, options: { inTransaction: boolean; add: boolean }): Promise<void> {
  if (options.add) await client.query(fk.addNotValid!);
  const merge = fk.constraint !== undefined && (await mergeJoinCheckPays(client, fk.constraint.relation, fk.constraint.name, options.inTransaction));
  if (!merge) {
    await client.query(fk.validate!);
    return;
  }
  if (!options.inTransaction) {
    await client.query('BEGIN');
    try {
      await client.query("SELECT set_config('enable_hashjoin', 'off', true)");
      await client.query(fk.validate!);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return;
  }
  const { rows } = await client.query<{ previous: string }>("SELECT current_setting('enable_hashjoin') AS previous");
  await client.query("SELECT set_config('enable_hashjoin', 'off', true)");
  // On failure the transaction is lost anyway: the setting is only put back after a success.
  await client.query(fk.validate!);
  await client.query("SELECT set_config('enable_hashjoin', $1, true)", [rows[0]!.previous]);
}
