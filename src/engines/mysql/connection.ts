import mysql from 'mysql2';
import type { Connection } from 'mysql2/promise';
import { ReplibyteError } from '../../errors.js';
import { redactUri } from '../uri-schemes.js';
import { describeNetworkError } from '../network-errors.js';
import { ConnectionLosses, explainConnectionLoss } from '../connection-loss.js';

const mysqlLosses = new ConnectionLosses();

/**
 * `error` as the user should see it: one line naming the server when the connection was lost (the
 * rest of the failure is its consequence), else unchanged.
 */
export function explainLostMysql(error: unknown, role: 'source' | 'destination', uri: string, connection: Connection): unknown {
  mysqlLosses.note(connection, error);
  return explainConnectionLoss(error, role, uri, [mysqlLosses.of(connection)]);
}

/** The database named by a mysql:// URI (the original required one). */
export function databaseOf(uri: string): string {
  const name = decodeURIComponent(new URL(uri).pathname.replace(/^\//, ''));
  if (!name) throw new ReplibyteError(`${redactUri(uri)}: a MySQL connection_uri must name a database (mysql://user@host:3306/DATABASE)`);
  return name;
}

/** Host and port of a mysql:// URI; an IPv6 literal loses its brackets (`[::1]` → `::1`), as the driver wants. */
export function mysqlEndpoint(uri: string): { host: string; port: number } {
  const url = new URL(uri.replace(/^mariadb:/i, 'mysql:'));
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: url.port ? Number(url.port) : 3306 };
}

/**
 * Opens a connection with the session every replibyte MySQL connection uses: utf8mb4 on the wire and
 * UTC for TIMESTAMP values (as mysqldump's --tz-utc), so that values travel unchanged between servers
 * in different time zones. Errors name the server, never the password.
 */
export async function connectMysql(
  uri: string,
  role: 'source' | 'destination',
  options: { multipleStatements?: boolean; binaryQueries?: boolean } = {},
): Promise<Connection> {
  const url = new URL(uri.replace(/^mariadb:/i, 'mysql:'));
  const database = databaseOf(uri);
  const connection = mysql.createConnection({
    ...mysqlEndpoint(uri),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database,
    // binaryQueries: the driver sends query text as latin1 (one byte per char), so a script's bytes (raw
    // binary inside strings, as mariadb-dump writes blobs) reach the server unchanged; see rawSql().
    // Without session tracking, because the driver would follow the script's SET NAMES and go back to utf8.
    charset: options.binaryQueries ? 'BINARY' : 'utf8mb4',
    ...(options.binaryQueries && { flags: ['-SESSION_TRACK'] }),
    // A statement without values is sent as it is: the driver would otherwise scan every byte of each
    // INSERT of a restore (up to 1 MB) for `?` placeholders, to replace none (≈ 15 % of a restore's CPU).
    queryFormat: (sql: string, values: unknown) => (values === undefined || (Array.isArray(values) && values.length === 0) ? sql : mysql.format(sql, values as Parameters<typeof mysql.format>[1], false, 'Z')),
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    connectTimeout: 10_000,
    multipleStatements: options.multipleStatements ?? false,
  }).promise();
  // Without a listener, a connection the server kills (KILL CONNECTION_ID) crashes the process with
  // "Unhandled 'error' event"; its user learns of it from explainLostMysql.
  streamingConnection(connection).on('error', (error: Error) => mysqlLosses.note(connection, error));
  try {
    await connection.connect();
    await connection.query("SET NAMES utf8mb4, time_zone = '+00:00'");
  } catch (error) {
    connection.destroy();
    throw describeMysqlConnectionError(error, uri, role);
  }
  return connection;
}

export function describeMysqlConnectionError(error: unknown, uri: string, role: string): ReplibyteError {
  const err = error as NodeJS.ErrnoException & { code?: string; sqlMessage?: string };
  const where = `${role} ${redactUri(uri)}`;
  const network = describeNetworkError(err.code);
  if (network) return new ReplibyteError(`cannot connect to the ${where}: ${network}`);
  switch (err.code) {
    case 'ER_ACCESS_DENIED_ERROR':
      return new ReplibyteError(`cannot connect to the ${where}: access denied (check the user and password)`);
    case 'ER_BAD_DB_ERROR': {
      if (role !== 'source') return new ReplibyteError(`cannot connect to the ${where}: ${err.sqlMessage ?? err.message}`, 'create the database first');
      const { host, port } = mysqlEndpoint(uri);
      return new ReplibyteError(`cannot connect to the ${where}: the source database ${databaseOf(uri)} does not exist on ${host.includes(':') ? `[${host}]` : host}:${port}`);
    }
    default:
      return new ReplibyteError(`cannot connect to the ${where}: ${err.sqlMessage ?? err.message}`);
  }
}


/** The callback-style connection behind a promise one: the only one whose queries can stream. */
export function streamingConnection(connection: Connection): mysql.Connection {
  return (connection as unknown as { connection: mysql.Connection }).connection;
}


