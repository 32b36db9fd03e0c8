import { ReplibyteError } from '../errors.js';

/**
 * A database connection the server (or the network) cut while replibyte was using it: an administrator's
 * `pg_terminate_backend` or `KILL CONNECTION_ID`, a server restart, a reset. The drivers report it as an
 * error event on the connection (which must always have a listener: an unhandled one crashes the
 * process) and as the failure of whatever query was running; the user gets one line naming the server.
 */

/** `host:port/database` of a connection URI: what a message names, never a user or a password. */
export function serverLabel(uri: string): string {
  try {
    const url = new URL(uri);
    const defaultPort = /^postgres/i.test(url.protocol) ? '5432' : /^mongodb/i.test(url.protocol) ? '27017' : '3306';
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `${url.hostname || 'localhost'}:${url.port || defaultPort}${database ? `/${database}` : ''}`;
  } catch {
    return 'the server';
  }
}

/** What happened, in words ("was terminated by the server (57P01)"); undefined when the error is not a lost connection. */
export function describeConnectionLoss(error: unknown): string | undefined {
  const err = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  switch (code) {
    case '57P01': // admin_shutdown: pg_terminate_backend, or a fast shutdown
      return 'was terminated by the server (57P01)';
    case '57P02':
      return 'was terminated by the server: it is crashing (57P02)';
    case '57P05':
    case '25P03':
      return `was closed by the server: a session timeout (${code})`;
    case 'ER_CONNECTION_KILLED':
    case 'PROTOCOL_CONNECTION_LOST':
      return `was terminated by the server (${code})`;
    case 'ECONNRESET': // a write to a socket the server closed, or a middlebox's reset
      return 'was terminated by the server or the network (ECONNRESET)';
    case 'EPIPE': // a write (a COPY FROM) to a socket the server closed; its FATAL message is never read
      return 'was terminated by the server (it closed the connection: EPIPE)';
    default:
      // The socket closed without a message: a backend killed while it was blocked sending to us (a
      // COPY we read slower than it writes) cannot send its FATAL message before it exits.
      if (/^Connection terminated unexpectedly$/.test(message)) return 'was terminated by the server (it closed the connection)';
      return undefined;
  }
}

/**
 * Remembers, per connection, the first sign that it was lost. A server that ends a session says why in
 * a FATAL message before it closes the socket: that message's code is the one worth reporting, so it is
 * kept over the bare "Connection terminated unexpectedly" that follows it.
 */
export class ConnectionLosses {
  private readonly losses = new WeakMap<object, string>();

  note(connection: object, error: unknown): void {
    const description = describeConnectionLoss(error);
    if (!description) return;
    const previous = this.losses.get(connection);
    if (previous && !/closed the connection|ECONNRESET/.test(previous)) return; // a FATAL's code is kept
    this.losses.set(connection, description);
  }

  of(connection: object): string | undefined {
    return this.losses.get(connection);
  }
}

/**
 * The error to report when `error` ended an operation on these connections: one line about the lost
 * connection when one of them was lost (or the error says so), else `error` itself.
 */
export function explainConnectionLoss(error: unknown, role: string, uri: string, lost: Array<string | undefined>): unknown {
  const description = lost.find((loss) => loss !== undefined) ?? describeConnectionLoss(error) ?? describeConnectionLoss((error as { cause?: unknown })?.cause);
  if (!description) return error;
  return new ReplibyteError(`connection to ${role} ${serverLabel(uri)} ${description}`);
}
