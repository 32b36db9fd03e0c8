/**
 * Sorts the statements of a pg_dump post-data section for a parallel restore, as pg_restore's
 * dependency scheduling does for the common cases:
 * - `settings`: the leading SET / set_config lines, run on every connection;
 * - `perTable`: indexes and PRIMARY KEY / UNIQUE / EXCLUDE / CHECK constraints of one table, which
 *   touch (and lock) that table alone: built as soon as its rows are in, while other tables load;
 * - `foreignKeys`: added once everything else exists, NOT VALID first, then validated in parallel;
 * - `rest`: everything else (triggers, rules, partition index attachments, policies, comments, …), run
 *   afterwards on one connection in the dump's order.
 * A statement it does not recognise lands in `rest`, which only costs parallelism, never correctness.
 */
export interface PostDataPlan {
  settings: string[];
  perTable: Map<string, string[]>;
  foreignKeys: ForeignKeyStatement[];
  rest: string[];
}

export interface ForeignKeyStatement {
  /** relationKey of the referencing table. */
  table: string;
  /** relationKey of the referenced table, when it could be read from the statement. */
  referenced?: string;
  /** `ALTER TABLE ONLY t ADD CONSTRAINT c FOREIGN KEY … NOT VALID`: a quick, catalog-only step. */
  addNotValid?: string;
  /** `ALTER TABLE t VALIDATE CONSTRAINT c`: the scan, which blocks neither reads nor other validations. */
  validate?: string;
  /** With `validate`: the referencing table as dumped (quoted, schema-qualified) and the constraint's name, unquoted. */
  constraint?: { relation: string; name: string };
  /** The statement as dumped, for messages. */
  original: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^\s."(),;]+)`;
const QUALIFIED = String.raw`(${IDENT})\.(${IDENT})`;
const CREATE_INDEX = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+${IDENT}\s+ON\s+(ONLY\s+)?${QUALIFIED}\s`, 'i');
const ADD_CONSTRAINT = new RegExp(String.raw`^ALTER\s+TABLE\s+(ONLY\s+)?${QUALIFIED}\s+ADD\s+CONSTRAINT\s+(${IDENT})\s+(PRIMARY\s+KEY|UNIQUE|EXCLUDE|CHECK|FOREIGN\s+KEY)\b`, 'i');
const REFERENCES = new RegExp(String.raw`\sREFERENCES\s+${QUALIFIED}`, 'i');
const SETTING = /^(SET\s|SELECT\s+pg_catalog\.set_config\()/i;

/** The key a table is known by here: its unquoted schema and name. */
export function relationKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

export function unquoteIdentifier(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text.toLowerCase();
}

/** Drops the comments pg_dump writes before each statement, and the final `;`. */
export function bareStatement(sql: string): string {
  let text = sql;
  for (;;) {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      text = end === -1 ? '' : trimmed.slice(end + 1);
    } else {
      text = trimmed;
      break;
    }
  }
  return text.replace(/;\s*$/, '');
}

/** `loadedTables`: the tables whose rows this restore loads; statements on other tables go to `rest`. */
export function planPostData(statements: string[], loadedTables: Set<string>): PostDataPlan {
  const plan: PostDataPlan = { settings: [], perTable: new Map(), foreignKeys: [], rest: [] };
  let leading = true;
  for (const raw of statements) {
    const sql = bareStatement(raw);
    if (sql === '') continue;
    if (leading && SETTING.test(sql)) {
      plan.settings.push(sql);
      continue;
    }
    leading = false;
    const foreignKey = foreignKeyStatement(sql, loadedTables);
    if (foreignKey) {
      plan.foreignKeys.push(foreignKey);
      continue;
    }
    const index = CREATE_INDEX.exec(sql);
    const constraint = index ? undefined : ADD_CONSTRAINT.exec(sql);
    const target = index ? [index[2]!, index[3]!] : constraint ? [constraint[2]!, constraint[3]!] : undefined;
    const key = target && relationKey(unquoteIdentifier(target[0]!), unquoteIdentifier(target[1]!));
    if (key && loadedTables.has(key)) {
      const list = plan.perTable.get(key) ?? [];
      list.push(sql);
      plan.perTable.set(key, list);
    } else {
      plan.rest.push(sql);
    }
  }
  return plan;
}

/**
 * `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …` (comments and the final `;` taken off by bareStatement),
 * split into its NOT VALID addition and its validation when the referencing table is one of
 * `loadedTables`; undefined for any other statement.
 */
export function foreignKeyStatement(sql: string, loadedTables: Set<string>): ForeignKeyStatement | undefined {
  if (CREATE_INDEX.test(sql)) return undefined;
  const constraint = ADD_CONSTRAINT.exec(sql);
  if (!constraint || !/^FOREIGN/i.test(constraint[5]!)) return undefined;
  const table = relationKey(unquoteIdentifier(constraint[2]!), unquoteIdentifier(constraint[3]!));
  const referenced = REFERENCES.exec(sql);
  const referencedKey = referenced ? relationKey(unquoteIdentifier(referenced[1]!), unquoteIdentifier(referenced[2]!)) : undefined;
  // NOT VALID cannot be used on a partitioned table before PostgreSQL 18: those are added as dumped.
  const splittable = loadedTables.has(table) && !/\bNOT\s+VALID\s*$/i.test(sql);
  const relation = `${constraint[2]}.${constraint[3]}`;
  return {
    table,
    ...(referencedKey && { referenced: referencedKey }),
    ...(splittable && {
      addNotValid: `${sql} NOT VALID`,
      validate: `ALTER TABLE ${relation} VALIDATE CONSTRAINT ${constraint[4]}`,
      constraint: { relation, name: unquoteIdentifier(constraint[4]!) },
    }),
    original: sql,
  };
}
