import type { LargeObjectHeader } from '../../encode/large-objects.js';
import { quoteIdentifier } from '../../engines/postgres/catalog.js';

/** The SQL that recreates a large object of a `pg-large-objects` part, for the restore and for `-o`. */

/** Content bytes per `lo_put` statement of a script: 64 KiB of hex on one line. */
export const SCRIPT_PIECE_BYTES = 32 * 1024;

/** A string literal read the same whatever `standard_conforming_strings` is. */
export function literal(text: string): string {
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/** Creates the object under its oid; with `wipe`, an object of that oid already there is removed first. */
export function createStatements(oid: number, wipe: boolean): string[] {
  const statements = [];
  if (wipe) statements.push(`SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '${oid}'`);
  statements.push(`SELECT pg_catalog.lo_create('${oid}')`);
  return statements;
}

/** One piece of content at `offset`, as a self-contained statement (for scripts). */
export function putStatement(oid: number, offset: number, bytes: Buffer): string {
  return `SELECT pg_catalog.lo_put('${oid}', ${offset}, pg_catalog.decode('${bytes.toString('hex')}', 'hex'))`;
}

/**
 * Owner, privileges and comment. Owner and grants run only when their role exists in the destination
 * (roles are not part of a dump); otherwise a WARNING says what was left out, and the restore goes on.
 */
export function metadataStatements(header: LargeObjectHeader): string[] {
  const { oid } = header;
  const body: string[] = [];
  const ifRole = (role: string, then: string, missing: string) =>
    `IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${literal(role)}) THEN ${then}; ` +
    `ELSE RAISE WARNING USING MESSAGE = ${literal(`large object ${oid}: the role ${role} does not exist here; ${missing}`)}; END IF;`;
  if (header.owner !== null) {
    const revoke = header.acl !== null ? `; REVOKE ALL ON LARGE OBJECT ${oid} FROM ${quoteIdentifier(header.owner)}` : '';
    body.push(ifRole(header.owner, `ALTER LARGE OBJECT ${oid} OWNER TO ${quoteIdentifier(header.owner)}${revoke}`, 'its owner is the restoring role'));
  }
  for (const grant of header.acl ?? []) {
    const to = grant.grantee === '' ? 'PUBLIC' : quoteIdentifier(grant.grantee);
    const statement = `GRANT ${grant.privilege} ON LARGE OBJECT ${oid} TO ${to}${grant.grantable ? ' WITH GRANT OPTION' : ''}`;
    body.push(grant.grantee === '' ? `${statement};` : ifRole(grant.grantee, statement, `its ${grant.privilege} privilege is left out`));
  }
  const statements: string[] = [];
  if (body.length > 0) statements.push(doBlock(body.join('\n')));
  if (header.comment !== null) statements.push(`COMMENT ON LARGE OBJECT ${oid} IS ${literal(header.comment)}`);
  return statements;
}

function doBlock(body: string): string {
  let tag = '$replibyte$';
  while (body.includes(tag)) tag = `${tag.slice(0, -1)}x$`;
  return `DO ${tag}\nBEGIN\n${body}\nEND\n${tag}`;
}
