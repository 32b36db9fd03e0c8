import type { Connection, RowDataPacket } from 'mysql2/promise';
import { RESTORE_SQL_MODE, ROUTINE_DELIMITER } from '../../encode/mysql/session.js';
import type { MysqlCatalog, MysqlTableInfo } from './catalog.js';
import { quoteMysqlIdentifier } from './identifiers.js';

/**
 * The schema of a MySQL dump, read with SHOW CREATE … (no mysqldump binary needed) and written as a
 * script the `mysql` client loads: tables before the rows; routines, triggers (after the rows, so that
 * they do not fire on them), views and events after. DEFINER clauses are left out: a development copy
 * does not have production's accounts, so objects belong to whoever restores them.
 */

async function showCreate(connection: Connection, what: string, name: string, column: string): Promise<RowDataPacket> {
  const [result] = await connection.query<RowDataPacket[]>(`SHOW CREATE ${what} ${quoteMysqlIdentifier(name)}`);
  const row = result[0];
  if (!row || row[column] === null || row[column] === undefined) {
    throw new Error(`SHOW CREATE ${what} ${name} returned no definition (does the user lack privileges on it?)`);
  }
  return row;
}

const IDENT = "(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.|'')*'|[^\\s@`']+)";
const DEFINER = new RegExp(`\\s*(?:/\\*!\\d+\\s*)?DEFINER\\s*=\\s*${IDENT}(?:\\s*@\\s*${IDENT})?(?:\\s*\\*/)?`, 'i');

/** `CREATE DEFINER=`u`@`h` TRIGGER …` → `CREATE TRIGGER …` (only in the head, never in the body). */
export function stripDefiner(sql: string): string {
  const keyword = /\b(VIEW|TRIGGER|PROCEDURE|FUNCTION|EVENT)\b/i.exec(sql);
  if (!keyword) return sql;
  return sql.slice(0, keyword.index).replace(DEFINER, '') + sql.slice(keyword.index);
}

export async function* preDataScript(connection: Connection, tables: MysqlTableInfo[]): AsyncGenerator<Buffer> {
  for (const table of tables) {
    if (table.kind !== 'table') continue;
    const row = await showCreate(connection, 'TABLE', table.name, 'Create Table');
    yield Buffer.from(`--\n-- Table ${quoteMysqlIdentifier(table.name)}\n--\n${row['Create Table'] as string};\n\n`, 'utf8');
  }
}

/**
 * The client character set and collation the object was created with (SHOW CREATE's
 * character_set_client / collation_connection): the server stores them with a view, trigger, routine
 * or event and runs its body under them, so the copy is created under the same ones, as mysqldump does.
 * The definition is written in UTF-8: another client character set is exact only for ASCII text, so
 * a non-ASCII definition under, say, latin1 keeps the restore's utf8mb4.
 */
function clientSettings(row: RowDataPacket, definition: string): { before: string; after: string } {
  const charset = row.character_set_client as unknown;
  const collation = row.collation_connection as unknown;
  if (typeof charset !== 'string' || typeof collation !== 'string' || !/^\w+$/.test(charset) || !/^\w+$/.test(collation)) return { before: '', after: '' };
  if (!/^utf8/i.test(charset) && /[^ -~\t\n\r]/.test(definition)) return { before: '', after: '' };
  return {
    before: `SET character_set_client = ${charset}, character_set_results = ${charset}, collation_connection = ${collation};\n`,
    after: 'SET NAMES utf8mb4;\n',
  };
}

function routineBlock(sqlMode: string, create: string, row: RowDataPacket): string {
  const { before, after } = clientSettings(row, create);
  return `SET SESSION sql_mode = '${sqlMode.replaceAll("'", "''")}';\n${before}DELIMITER ${ROUTINE_DELIMITER}\n${stripDefiner(create)}${ROUTINE_DELIMITER}\nDELIMITER ;\n${after}`;
}

export async function* postDataScript(
  connection: Connection,
  catalog: MysqlCatalog,
  keep: { tables: Set<string> },
): AsyncGenerator<Buffer> {
  for (const routine of catalog.routines) {
    const row = await showCreate(connection, routine.type, routine.name, routine.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function');
    const column = routine.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function';
    yield Buffer.from(`\n-- ${routine.type.toLowerCase()} ${quoteMysqlIdentifier(routine.name)}\n${routineBlock(row.sql_mode as string, row[column] as string, row)}`, 'utf8');
  }
  for (const trigger of catalog.triggers) {
    if (!keep.tables.has(trigger.table)) continue;
    const row = await showCreate(connection, 'TRIGGER', trigger.name, 'SQL Original Statement');
    yield Buffer.from(`\n-- trigger ${quoteMysqlIdentifier(trigger.name)}\n${routineBlock(row.sql_mode as string, row['SQL Original Statement'] as string, row)}`, 'utf8');
  }
  const views = catalog.tables.filter((t) => t.kind === 'view' && keep.tables.has(t.name));
  const definitions = new Map<string, string>();
  const settings = new Map<string, { before: string; after: string }>();
  for (const view of views) {
    const row = await showCreate(connection, 'VIEW', view.name, 'Create View');
    definitions.set(view.name, stripDefiner(row['Create View'] as string));
    settings.set(view.name, clientSettings(row, row['Create View'] as string));
  }
  for (const name of viewOrder(definitions)) {
    const { before, after } = settings.get(name)!;
    yield Buffer.from(`\n-- view ${quoteMysqlIdentifier(name)}\n${before}${definitions.get(name)!};\n${after}`, 'utf8');
  }
  for (const event of catalog.events) {
    const row = await showCreate(connection, 'EVENT', event, 'Create Event');
    const zone = (row.time_zone as string).replaceAll("'", "''");
    yield Buffer.from(`\n-- event ${quoteMysqlIdentifier(event)}\nSET TIME_ZONE = '${zone}';\n${routineBlock(row.sql_mode as string, row['Create Event'] as string, row)}SET TIME_ZONE = '+00:00';\n`, 'utf8');
  }
  yield Buffer.from(`\nSET SESSION sql_mode = '${RESTORE_SQL_MODE}';\n`);
}

/** Views after the views they read: a view whose definition names another view (`name`) comes later. */
export function viewOrder(definitions: Map<string, string>): string[] {
  const names = [...definitions.keys()];
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (done.has(name) || path.has(name)) return;
    path.add(name);
    const body = definitions.get(name)!.replace(/^[\s\S]*?\bAS\b/i, '');
    for (const other of names) if (other !== name && body.includes(quoteMysqlIdentifier(other))) visit(other, path);
    done.add(name);
    order.push(name);
  };
  for (const name of names) visit(name, new Set());
  return order;
}
