/**
 * Which engine a connection URI names, without loading any driver (the CLI starts faster when
 * `dump list` or a PostgreSQL restore never imports the MongoDB or MySQL driver).
 */
export function isPostgresUri(uri: string): boolean {
  return /^postgres(ql)?:\/\//i.test(uri);
}

export function isMysqlUri(uri: string): boolean {
  return /^(mysql|mariadb):\/\//i.test(uri);
}

export function isMongoUri(uri: string): boolean {
  return /^mongodb(\+srv)?:\/\//i.test(uri);
}

/**
 * Names of URI query parameters (and libpq keywords) whose value is a credential, whatever the scheme:
 * libpq's `password`, `sslpassword`; MySQL's `password`; MongoDB's `authMechanismProperties` (an AWS
 * session token); S3-style `secret`, `X-Amz-Security-Token`, `X-Amz-Signature`, `aws_secret_access_key`.
 * Masking a harmless one (`passfile`, a path) costs nothing; missing a secret one leaks it.
 */
const SECRET_NAME = /pass|pwd|secret|token|signature|credential|authmechanismproperties|private/i;
const MASK = '***';

/**
 * A connection URI (any scheme: postgres, mysql, mongodb with several hosts, http(s) endpoints) with
 * every credential in it masked: the password of the user info (`user:***@`) and the value of every
 * query parameter that carries a secret (`?password=***`, `&sslpassword=***`). The one function every
 * message, log line and report uses to show a URI. A libpq keyword/value string (`host=h password=p`)
 * gets its secret keywords masked too.
 */
export function redactUri(uri: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri);
  if (!scheme) return redactKeywords(uri);
  const rest = uri.slice(scheme[0].length);
  // The user info ends at the last `@` before the query: an unencoded `@`, `/` or `#` in a password
  // (which a lenient parser may accept) stays inside the masked part.
  const queryAt = rest.indexOf('?');
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const at = beforeQuery.lastIndexOf('@');
  let authority = '';
  let tail = rest;
  if (at !== -1) {
    const userinfo = beforeQuery.slice(0, at);
    const colon = userinfo.indexOf(':');
    authority = `${colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:${MASK}`}@`;
    tail = rest.slice(at + 1);
  }
  return `${scheme[0]}${authority}${redactQuery(tail)}`;
}

/** The `?a=b&c=d` part of a URI's tail with the secret parameters' values masked (raw text kept otherwise). */
function redactQuery(tail: string): string {
  const queryAt = tail.indexOf('?');
  if (queryAt === -1) return tail;
  const hashAt = tail.indexOf('#', queryAt);
  const query = tail.slice(queryAt + 1, hashAt === -1 ? undefined : hashAt);
  const masked = query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return equals !== -1 && SECRET_NAME.test(safeDecode(name)) ? `${name}=${MASK}` : pair;
    })
    .join('&');
  return `${tail.slice(0, queryAt + 1)}${masked}${hashAt === -1 ? '' : tail.slice(hashAt)}`;
}

/** libpq's `keyword=value` form: secret keywords' values (quoted or not) masked. */
function redactKeywords(text: string): string {
  return text.replace(/\b([a-z_]+)(\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, (whole, name: string, equals: string) =>
    SECRET_NAME.test(name) ? `${name}${equals}${MASK}` : whole,
  );
}

/**
 * Free text (a driver's error message, a line about to be printed) with every URI in it passed through
 * redactUri: the last line of defence before output, for messages that quote a URI we did not build.
 */
export function redactSecrets(text: string): string {
  // Punctuation that ends a sentence after the URI ("…/db: connection refused") is kept outside it.
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+?)([.,;:)\]]*(?=\s|$|["'<>`]))/gi, (_whole, uri: string, after: string) => redactUri(uri) + after);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
