import { identifierName, isName, tokenize } from '../../engines/postgres/sql-lexer.js';
import { readLiteral } from './sql-literal.js';

/**
 * The statements a plain pg_dump script uses for large objects: in pre-data `lo_create`, `ALTER LARGE
 * OBJECT … OWNER TO`, `COMMENT ON LARGE OBJECT`; the BLOBS block of the data (`BEGIN;`, then per object
 * `lo_open('oid', 131072)`, `lowrite(0, '\x…')`…, `lo_close(0)`, then `COMMIT;`); `GRANT`/`REVOKE … ON
 * LARGE OBJECT` at the end.
 */
export type LargeObjectStatement =
  | { kind: 'create'; oid: number }
  | { kind: 'owner'; oid: number; role: string }
  | { kind: 'comment'; oid: number; text: string | null }
  | { kind: 'privileges'; oid: number }
  | { kind: 'open'; oid: number }
  | { kind: 'write'; bytes: Buffer }
  | { kind: 'close' }
  | { kind: 'begin' }
  | { kind: 'commit' };

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$))*/;
const CREATE = /^SELECT\s+pg_catalog\.lo_create\('(\d+)'\);?\s*$/i;
const OPEN = /^SELECT\s+pg_catalog\.lo_open\('(\d+)',\s*\d+\);?\s*$/i;
const WRITE = /^SELECT\s+pg_catalog\.lowrite\(0,\s*(?:'\\x|E'\\\\x)([0-9a-fA-F]*)'\);?\s*$/;
const CLOSE = /^SELECT\s+pg_catalog\.lo_close\(0\);?\s*$/i;
const OWNER = /^ALTER\s+LARGE\s+OBJECT\s+(\d+)\s+OWNER\s+TO\s+/i;
const COMMENT = /^COMMENT\s+ON\s+LARGE\s+OBJECT\s+(\d+)\s+IS\s+/i;
const PRIVILEGES = /^(?:GRANT|REVOKE)\s[^;]*?\sON\s+LARGE\s+OBJECT\s+(\d+)\s/i;

export function readLargeObjectStatement(statement: string): LargeObjectStatement | undefined {
  const sql = statement.replace(LEADING_COMMENTS, '');
  const head = sql.slice(0, 40).toUpperCase();
  if (sql.length < 40 && /^(BEGIN|START TRANSACTION)\s*;?\s*$/.test(head)) return { kind: 'begin' };
  if (sql.length < 40 && /^(COMMIT|END)\s*;?\s*$/.test(head)) return { kind: 'commit' };
  if (head.startsWith('SELECT')) {
    let match = WRITE.exec(sql);
    if (match) return { kind: 'write', bytes: Buffer.from(match[1]!, 'hex') };
    if ((match = OPEN.exec(sql))) return { kind: 'open', oid: Number(match[1]) };
    if (CLOSE.test(sql)) return { kind: 'close' };
    if ((match = CREATE.exec(sql))) return { kind: 'create', oid: Number(match[1]) };
    return undefined;
  }
  let match = OWNER.exec(sql);
  if (match) {
    const tokens = tokenize(sql.slice(match[0].length));
    if (isName(tokens[0])) return { kind: 'owner', oid: Number(match[1]), role: identifierName(tokens[0]) };
    return undefined;
  }
  if ((match = COMMENT.exec(sql))) {
    const rest = sql.slice(match[0].length).replace(/;\s*$/, '');
    const literal = readLiteral(rest, tokenize(rest));
    return literal && literal.casts === '' ? { kind: 'comment', oid: Number(match[1]), text: literal.value } : undefined;
  }
  if ((match = PRIVILEGES.exec(sql))) return { kind: 'privileges', oid: Number(match[1]) };
  return undefined;
}
