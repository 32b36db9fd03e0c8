import { MongoClient, MongoParseError, MongoServerSelectionError } from 'mongodb';
import { errorMessage, ReplibyteError } from '../../errors.js';
import { redactSecrets, redactUri } from '../uri-schemes.js';

/** The database named in the URI's path, if any (`mongodb://h/app?x=1` → `app`). */
export function uriDatabase(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/i.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/**
 * Connects through the official driver, turning its errors into one line that names the server (never
 * the password). Server selection waits 10 s unless the URI sets serverSelectionTimeoutMS: the driver's
 * 30 s default is a long wait for a typo.
 */
export async function connectMongo(uri: string, role: 'source' | 'destination'): Promise<MongoClient> {
  const where = `${role} ${redactUri(uri)}`;
  let client: MongoClient;
  try {
    const timeout = /[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 10_000 };
    client = new MongoClient(uri, { ...timeout, appName: `replibyte ${role}` });
  } catch (error) {
    // The driver throws MongoParseError, or a TypeError from URL for a malformed host or port.
    const detail = error instanceof MongoParseError || error instanceof TypeError ? error.message : errorMessage(error);
    throw new ReplibyteError(`${role}.connection_uri is not a valid MongoDB URI: ${redactSecrets(detail)}`);
  }
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    await client.close().catch(() => undefined);
    if (error instanceof MongoServerSelectionError) {
      const reason = /ECONNREFUSED/.test(error.message) ? 'connection refused (is the server running?)' : redactSecrets(error.message);
      throw new ReplibyteError(`cannot connect to the ${where}: ${reason}`);
    }
    throw new ReplibyteError(`cannot connect to the ${where}: ${redactSecrets(errorMessage(error))}`);
  }
  return client;
}
