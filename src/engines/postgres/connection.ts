import type { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConnectionLosses, explainConnectionLoss } from '../connection-loss.js';
import { ReplibyteError } from '../../errors.js';
import { describeNetworkError } from '../network-errors.js';
import { redactUri } from '../uri-schemes.js';

export { isPostgresUri, redactUri } from '../uri-schemes.js';

/** Opens a client, turning the driver's errors into one line that names the server, never the password. */
export async function connectPostgres(uri: string, role: 'source' | 'destination'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: uri, application_name: `replibyte ${role}` });
  // Without a listener, a connection the server ends while it is idle (pg_terminate_backend) crashes the
  // process with "Unhandled 'error' event". Whoever uses the client learns of it from connectionLoss.
  client.on('error', (error) => postgresLosses.note(client, error));
  // The FATAL message the server sends before it closes the socket says why (57P01), also when a query
  // was running and got it as its own error.
  (client as unknown as { connection: EventEmitter }).connection.on('errorMessage', (message: { severity?: string }) => {
    if (message.severity === 'FATAL' || message.severity === 'PANIC') postgresLosses.note(client, message);
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, uri, role);
  }
  return client;
}

const postgresLosses = new ConnectionLosses();

/** How this client was lost ("was terminated by the server (57P01)"), if the server or the network cut it. */
export function connectionLoss(client: pg.Client): string | undefined {
  return postgresLosses.of(client);
}

/**
 * `error` as the user should see it: one line naming the server when one of `clients` was lost (the
 * rest of the failure is its consequence), else unchanged.
 */
export function explainLostClients(error: unknown, role: 'source' | 'destination', uri: string, clients: Iterable<pg.Client>): unknown {
  return explainConnectionLoss(error, role, uri, [...clients].map(connectionLoss));
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

/** How a child process (pg_dump) connects, with no credential in its arguments. */
export interface LibpqConnection {
  /** Added to the child's environment: PGPASSWORD, and PGSERVICEFILE when an sslpassword must travel. */
  env: Record<string, string>;
  /** The URI for `--dbname`, without any credential (user info password, `password=`, `sslpassword=`). */
  dbnameArg: string;
  /** Removes the temporary service file, if one was written; call it once the child has exited. */
  cleanup(): Promise<void>;
}

/** libpq's URI parameters that hold a secret; every other one may be on a command line. */
const LIBPQ_SECRETS = new Set(['password', 'sslpassword']);

/**
 * Splits a postgres:// URI into what a child may show in `ps` (`--dbname=` with the credentials taken
 * out) and what it must not: the password goes in PGPASSWORD (the user info's, or `?password=`, which
 * libpq prefers), and an `sslpassword`, for which libpq has no environment variable, in a temporary
 * service file (mode 0600, in a 0700 directory) that the URI names with `service=`. The URI text is
 * edited, not re-serialised: libpq's own syntax (several hosts, `%2F` socket paths) stays intact.
 */
export async function libpqConnection(uri: string): Promise<LibpqConnection> {
  const scheme = /^postgres(?:ql)?:\/\//i.exec(uri);
  if (!scheme) throw new ReplibyteError(`${redactUri(uri)} is not a postgres:// URI`);
  let rest = uri.slice(scheme[0].length);
  const queryAt = rest.indexOf('?');
  const at = (queryAt === -1 ? rest : rest.slice(0, queryAt)).lastIndexOf('@');
  const secrets = new Map<string, string>();
  let user = '';
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    if (colon !== -1) secrets.set('password', decodeLeniently(userinfo.slice(colon + 1)));
    rest = rest.slice(at + 1);
  }
  const [base, query = ''] = splitOnce(rest, '?');
  const kept: string[] = [];
  for (const pair of query.split('&').filter(Boolean)) {
    const [name, value = ''] = splitOnce(pair, '=');
    const keyword = decodeLeniently(name).toLowerCase();
    if (LIBPQ_SECRETS.has(keyword)) secrets.set(keyword, decodeLeniently(value));
    else kept.push(pair);
  }
  const env: Record<string, string> = {};
  if (secrets.get('password')) env.PGPASSWORD = secrets.get('password')!;
  let cleanup = () => Promise.resolve();
  const sslPassword = secrets.get('sslpassword');
  if (sslPassword) {
    if (kept.some((pair) => decodeLeniently(splitOnce(pair, '=')[0]).toLowerCase() === 'service')) {
      throw new ReplibyteError('source.connection_uri has both service= and sslpassword=: put sslpassword in that service file instead, so that pg_dump does not show it');
    }
    if (/[\r\n]/.test(sslPassword) || sslPassword.trim() !== sslPassword) {
      throw new ReplibyteError('source.connection_uri: an sslpassword with line breaks or surrounding spaces cannot be passed to pg_dump safely');
    }
    const dir = await mkdtemp(join(tmpdir(), 'replibyte-libpq-'));
    const serviceFile = join(dir, 'pg_service.conf');
    await writeFile(serviceFile, `[replibyte]\nsslpassword=${sslPassword}\n`, { mode: 0o600 });
    env.PGSERVICEFILE = serviceFile;
    kept.push('service=replibyte');
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  const dbnameArg = `${scheme[0]}${user ? `${user}@` : ''}${base}${kept.length > 0 ? `?${kept.join('&')}` : ''}`;
  return { env, dbnameArg, cleanup };
}

/** Percent-decoded, or as written when it is not valid percent-encoding (libpq then rejects it itself). */
function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at === -1 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Cancels whatever these clients' server processes are running (`pg_cancel_backend`, over a connection
 * of its own): the statement fails at once with 57014 and its transaction can be rolled back. Used on
 * Ctrl-C, so that a long index build or validation does not hold the run. Bounded; never throws.
 */
export async function cancelRunningQueries(uri: string, clients: Iterable<pg.Client>): Promise<void> {
  const pids = [...clients].map((client) => (client as unknown as { processID: number | null }).processID).filter((pid): pid is number => typeof pid === 'number');
  if (pids.length === 0) return;
  const canceller = new pg.Client({ connectionString: uri, application_name: 'replibyte cancel', connectionTimeoutMillis: 3000, query_timeout: 3000 });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } catch {
    // The run stops anyway: its connections close with it, and the server rolls back what they held.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
