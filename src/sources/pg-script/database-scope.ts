import type { ScopeFinding } from '../../encode/mysql/database-scope.js';
import { identifierName, isKeyword, isName, tokenize, type Token } from '../../engines/postgres/sql-lexer.js';

/**
 * What in a pg_dump script statement reaches outside the database a restore writes into: the
 * statements `pg_dump -C` (`--create`, `--clean`) writes about the database itself, which restored
 * into `app_dev` would alter or drop `app`; and statements about the whole server (roles, tablespaces,
 * ALTER SYSTEM), or its files (COPY … PROGRAM / 'file'), which a pg_dump of one database never writes.
 * PostgreSQL itself refuses a name qualified with another database (`other.public.t`).
 */
export function pgDatabaseScope(sql: string): ScopeFinding | undefined {
  const tokens = tokenize(sql, 24);
  const word = (at: number) => (tokens[at]?.type === 'identifier' ? tokens[at]!.text.toUpperCase() : undefined);
  const first = word(0);
  if (!first) return undefined;
  if ((first === 'CREATE' || first === 'DROP' || first === 'ALTER') && word(1) === 'DATABASE') {
    let at = 2;
    while (['IF', 'NOT', 'EXISTS'].includes(word(at) ?? '')) at += 1;
    const database = nameAt(tokens, at);
    if (first === 'CREATE') return { action: 'drop', what: `creates the database ${database ?? '?'}`, ...(database && { selects: database }) };
    return { action: 'drop', what: `${first === 'DROP' ? 'drops' : 'alters'} the database ${database ?? '?'}`, ...(database && { database }) };
  }
  // COMMENT ON DATABASE, SECURITY LABEL … ON DATABASE, GRANT/REVOKE … ON DATABASE.
  if (['COMMENT', 'SECURITY', 'GRANT', 'REVOKE'].includes(first)) {
    const on = tokens.findIndex((t, i) => isKeyword(t, 'ON') && isKeyword(tokens[i + 1], 'DATABASE'));
    if (on !== -1) {
      const database = nameAt(tokens, on + 2);
      return { action: 'drop', what: `${first === 'COMMENT' ? 'comments on' : first === 'SECURITY' ? 'labels' : first === 'GRANT' ? 'grants on' : 'revokes on'} the database ${database ?? '?'}`, ...(database && { database }) };
    }
  }
  if (first === 'ALTER' && word(1) === 'SYSTEM') return { action: 'refuse', what: 'changes the server configuration (ALTER SYSTEM)' };
  if ((first === 'CREATE' || first === 'ALTER' || first === 'DROP') && ['ROLE', 'USER', 'GROUP', 'TABLESPACE'].includes(word(1) ?? '')) {
    return { action: 'refuse', what: `is a server-wide ${first} ${word(1)} statement` };
  }
  if (first === 'COPY') return { action: 'refuse', what: 'is a COPY from or to a file or program of the server (only COPY … FROM stdin belongs in a dump script)' };
  return undefined;
}

/** `\connect app` (or `\c`): the database the script goes on in. */
export function connectTarget(metaLine: string): string | undefined {
  const match = /^\\(?:connect|c)\s+(?:-reuse-previous=\S+\s+)?("(?:[^"]|"")*"|\S+)/.exec(metaLine.trim());
  if (!match) return undefined;
  const name = match[1]!;
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

function nameAt(tokens: Token[], at: number): string | undefined {
  const token = tokens[at];
  return isName(token) ? identifierName(token) : undefined;
}
