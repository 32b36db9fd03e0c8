import type pg from 'pg';
import { largeObjectPieces, PIECE_BYTES } from '../../encode/large-objects.js';
import type { ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { createStatements, metadataStatements } from './large-object-sql.js';

/**
 * Restores a `large-objects` part on `client`, in whatever transaction the caller has open: each object
 * created under its oid, its content written piece by piece (`lo_put`, the bytes as a binary parameter),
 * then its owner, privileges and comment. The WARNINGs of roles missing here are passed on to the
 * reporter. Returns the number of objects, checked against the manifest.
 */
export async function restoreLargeObjects(
  client: pg.ClientBase,
  part: ManifestPart,
  data: AsyncIterable<Buffer>,
  options: { wipe: boolean; reporter: Reporter },
): Promise<number> {
  const onNotice = (notice: { severity?: string; message?: string }) => {
    if (notice.severity === 'WARNING' && notice.message) options.reporter.warn(notice.message);
  };
  client.on('notice', onNotice);
  let objects = 0;
  let bytes = 0;
  try {
    for await (const piece of largeObjectPieces(data, PIECE_BYTES)) {
      if (piece.type === 'object') {
        objects += 1;
        await client.query(createStatements(piece.header.oid, options.wipe).join(';\n'));
      } else if (piece.type === 'data') {
        await client.query('SELECT pg_catalog.lo_put($1::oid, $2::bigint, $3::bytea)', [piece.oid, piece.offset, piece.bytes]);
        bytes += piece.bytes.length;
      } else {
        const statements = metadataStatements(piece.header);
        if (statements.length > 0) await client.query(statements.join(';\n'));
      }
    }
  } finally {
    client.off('notice', onNotice);
  }
  if (part.rows !== undefined && objects !== part.rows) {
    throw new ReplibyteError(`read ${objects} large objects, the manifest says ${part.rows}`);
  }
  options.reporter.info(`  large objects: ${objects} (${bytes} bytes of content)`);
  return objects;
}
