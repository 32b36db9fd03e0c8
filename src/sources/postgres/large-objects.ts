import type pg from 'pg';
import { encodeEnd, encodeHeader, encodePieces, PIECE_BYTES, type LargeObjectHeader } from '../../encode/large-objects.js';
import { formatBytes } from '../../reporting/format.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { DumpContext } from '../source.js';

/** Large objects listed per query: metadata only, their content is read piece by piece. */
const PAGE = 1000;

export interface LargeObjectTotals {
  objects: number;
  bytes: number;
}

/** How many large objects the snapshot holds (their content is not read). */
export async function countLargeObjects(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM pg_catalog.pg_largeobject_metadata');
  return Number(rows[0]!.count);
}

/**
 * Every large object of the snapshot `client` reads in, as the `pg-large-objects` encoding of
 * docs/format.md: the metadata a page at a time in oid order, the content by `lo_get(oid, offset,
 * 1 MiB)`, so no object is ever held whole. `totals` counts as it goes.
 */
export async function* largeObjectStream(client: pg.ClientBase, totals: LargeObjectTotals): AsyncGenerator<Buffer> {
  let after = 0;
  for (;;) {
    const { rows } = await client.query<{ oid: string; owner: string | null; acl: LargeObjectHeader['acl']; comment: string | null }>(
      `SELECT m.oid::text AS oid, r.rolname AS owner,
         CASE WHEN m.lomacl IS NULL THEN NULL ELSE
           (SELECT coalesce(json_agg(json_build_object('grantee', coalesce(g.rolname, ''), 'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.n), '[]')
            FROM aclexplode(m.lomacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type, is_grantable, n)
            LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee) END AS acl,
         pg_catalog.obj_description(m.oid, 'pg_largeobject') AS comment
       FROM pg_catalog.pg_largeobject_metadata m LEFT JOIN pg_catalog.pg_roles r ON r.oid = m.lomowner
       WHERE m.oid > $1::oid ORDER BY m.oid LIMIT ${PAGE}`,
      [after],
    );
    for (const row of rows) {
      const header: LargeObjectHeader = { oid: Number(row.oid), owner: row.owner, acl: row.acl, comment: row.comment };
      yield encodeHeader(header);
      try {
        for (let offset = 0; ; offset += PIECE_BYTES) {
          const result = await client.query<{ piece: Buffer }>('SELECT pg_catalog.lo_get($1::oid, $2::int8, $3::int4) AS piece', [header.oid, offset, PIECE_BYTES]);
          const piece = result.rows[0]!.piece;
          totals.bytes += piece.length;
          yield* encodePieces(piece);
          if (piece.length < PIECE_BYTES) break;
        }
      } catch (error) {
        throw withContext(`reading large object ${header.oid}`, error);
      }
      yield encodeEnd();
      totals.objects += 1;
      after = header.oid;
    }
    if (rows.length < PAGE) return;
  }
}

/** What dump create says of the large objects it copied: they are not transformed, the user decides. */
export function copiedWarning(totals: LargeObjectTotals): string {
  return (
    `${totals.objects} large object(s), ${formatBytes(totals.bytes)}, copied as they are: their content cannot be transformed ` +
    '(set source.large_objects: skip, or dump create --no-large-objects, to leave them out)'
  );
}

export function skippedWarning(objects: number): string {
  return `${objects} large object(s) left out (source.large_objects: skip): oid columns that point at them will point at nothing in the restored database`;
}

/**
 * Strict mode: large objects are data no transformer reaches, so they too must be decided, by
 * `source.large_objects: keep` (copied as they are) or `skip`.
 */
export function refuseUndecidedLargeObjects(context: DumpContext, objects: number): void {
  if (objects === 0 || context.config.source?.large_objects !== undefined) return;
  throw new ReplibyteError(
    `strict mode: the source holds ${objects} large object(s), whose content no transformer can reach: decide with source.large_objects: keep (copy them as they are) or skip (leave them out); nothing was stored`,
  );
}
