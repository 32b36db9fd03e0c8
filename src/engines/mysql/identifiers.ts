/**
 * MySQL text helpers that need no driver: modules that only write SQL (the script writer, the INSERT
 * batcher) import these, so that loading them does not load mysql2 (about 14 MB) into every command.
 */

/** The engine kinds a MySQL destination or script accepts. */
export const MYSQL_ENGINES = new Set(['mysql', 'mariadb']);

/** `name` quoted as a MySQL identifier. */
export function quoteMysqlIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** SQL for a `binaryQueries` connection: its exact bytes, one per char (the driver encodes it as latin1). */
export function rawSql(sql: string | Buffer): string {
  return (typeof sql === 'string' ? Buffer.from(sql, 'utf8') : sql).toString('latin1');
}
