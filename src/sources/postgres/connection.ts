import pg from 'pg';
import { ReplibyteError } from '../../errors.js';
import { describeNetworkError } from '../network-errors.js';
import { redactUri } from '../uri-schemes.js';

export { isPostgresUri, redactUri } from '../uri-schemes.js';

/** Opens a client, turning the driver's errors into one line that names the server, never the password. */
export async function connectPostgres(uri: string, role: 'source' | 'destination'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: uri, application_name: `replibyte ${role}` });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, uri, role);
  }
  return client;
}

export function describeConnectionError(error: unknown, uri: string, role: string): ReplibyteError {
  const err = error as NodeJS.ErrnoException & { code?: string };
  const where = `${role} ${redactUri(uri)}`;
  const network = describeNetworkError(err.code);
  if (network) return new ReplibyteError(`cannot connect to the ${where}: ${network}`);
  switch (err.code) {
    case '28P01':
      return new ReplibyteError(`cannot connect to the ${where}: password authentication failed`);
    case '28000':
      return new ReplibyteError(`cannot connect to the ${where}: ${err.message}`);
    case '3D000':
      return new ReplibyteError(`cannot connect to the ${where}: ${err.message}`);
    default:
      return new ReplibyteError(`cannot connect to the ${where}: ${err.message}`);
  }
}

/**
 * The libpq environment for a child process (pg_dump), so that the password travels in PGPASSWORD
 * and never on a command line that `ps` shows.
 */
export function libpqEnvironment(uri: string): { env: Record<string, string>; dbnameArg: string } {
  const url = new URL(uri);
  const env: Record<string, string> = {};
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return { env, dbnameArg: url.toString() };
}
