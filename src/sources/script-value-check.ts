import type { Config } from '../config/load.js';
import { isMysqlUri, isPostgresUri, redactUri } from '../engines/uri-schemes.js';
import { errorMessage } from '../errors.js';
import type { Reporter } from '../reporting/reporter.js';
import type { FixedValue, FixedValueCheck } from '../transformers/fixed-values.js';

/*
 * A script source (`dump create -s postgresql|mysql -i`) has no source server to parse the values a
 * transformer writes whatever the row (`constant`'s, decision 0031). The config may name a server of the
 * same engine all the same: the destination the dump is for (its parsing is the restore's), or a
 * `source.connection_uri`. The first one that answers parses them, reading nothing and writing nothing
 * of its own (PostgreSQL: a cast in a READ ONLY transaction, rolled back; MySQL: a temporary table on a
 * session of its own). With none, replibyte's own checks (length, members, integer and numeric ranges)
 * are all there is, and the run says so.
 */
export function scriptValueCheck(config: Config, engine: 'postgresql' | 'mysql', reporter: Reporter): FixedValueCheck {
  const sameEngine = engine === 'postgresql' ? isPostgresUri : isMysqlUri;
  const candidates = [
    { key: 'destination.connection_uri', uri: config.destination?.connection_uri },
    { key: 'source.connection_uri', uri: config.source?.connection_uri },
  ].filter((c): c is { key: string; uri: string } => typeof c.uri === 'string' && sameEngine(c.uri));
  // Said once per run (a MySQL script asks table by table); a server that did not answer is not asked again.
  let told = false;
  const say = (message: string) => {
    if (!told) reporter.info(message);
    told = true;
  };
  return async (values) => {
    while (candidates.length > 0) {
      const { key, uri } = candidates[0]!;
      try {
        const verdicts = engine === 'postgresql' ? await checkOnPostgres(uri, values) : await checkOnMysql(uri, values);
        say(`constant values checked by the server of ${key} (${redactUri(uri)})`);
        return verdicts;
      } catch (error) {
        reporter.warn(`cannot check constant values on the server of ${key} (${redactUri(uri)}): ${errorMessage(error)}`);
        candidates.shift();
      }
    }
    say(`constant values checked by replibyte's own rules only (length, members, integer and numeric ranges): no ${engine === 'postgresql' ? 'PostgreSQL' : 'MySQL'} server in the config parses them for a script`);
    return values.map(() => undefined);
  };
}

async function checkOnPostgres(uri: string, values: readonly FixedValue[]): Promise<Array<string | undefined>> {
  const { connectPostgres } = await import('../engines/postgres/connection.js');
  const { checkValuesInPostgres } = await import('../engines/postgres/value-check.js');
  const client = await connectPostgres(uri, 'destination');
  try {
    // Nothing is written, and a script's type text cannot keep the server busy.
    await client.query("BEGIN READ ONLY; SET LOCAL statement_timeout = '10s'");
    return await checkValuesInPostgres(client, values, { portable: true });
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function checkOnMysql(uri: string, values: readonly FixedValue[]): Promise<Array<string | undefined>> {
  const { connectMysql } = await import('../engines/mysql/connection.js');
  const { checkValuesInMysql } = await import('../engines/mysql/value-check.js');
  // Connect once first, so that an unreachable server is told apart from a value it refuses.
  (await connectMysql(uri, 'destination')).destroy();
  return checkValuesInMysql(() => connectMysql(uri, 'destination'), values);
}
