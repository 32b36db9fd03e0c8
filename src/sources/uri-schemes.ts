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

/** A connection URI with its password hidden, for every message and log line. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
