import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Manifest } from '../../dump/manifest.js';
import { ReplibyteError } from '../../errors.js';
import { qualifiedName, quoteIdentifier } from '../../engines/postgres/catalog.js';
import { NO_HOOKS, type PartReader, type RestoreHook, type RestoreHooks } from '../destination.js';
import { largeObjectPieces } from '../../encode/large-objects.js';
import { createStatements, metadataStatements, putStatement, SCRIPT_PIECE_BYTES } from '../postgres/large-object-sql.js';

/**
 * Writes a PostgreSQL dump as one plain script for `psql -v ON_ERROR_STOP=1`: the schema, each table's
 * rows as a `COPY … FROM stdin` block, the constraints. The script runs in one transaction, so a
 * truncated script (a failed read) leaves the target database as it was.
 */
export async function writeSqlScript(manifest: Manifest, readPart: PartReader, output: Writable, hooks: RestoreHooks = NO_HOOKS): Promise<void> {
  if (manifest.engine.kind !== 'postgresql') {
    throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database, not a PostgreSQL script`);
  }
  const write = async (data: string | Buffer) => {
    if (!output.write(data)) await once(output, 'drain');
  };
  await write(`-- replibyte dump ${manifest.name}, created ${manifest.createdAt}\n-- load with: psql -v ON_ERROR_STOP=1 -d DATABASE -f FILE\n\nBEGIN;\n\n`);
  await write(hookText(hooks.before));
  for (const part of manifest.parts) {
    if (part.kind === 'table-data') {
      const columns = (part.columns ?? []).map(quoteIdentifier).join(', ');
      await write(`\nCOPY ${qualifiedName(part.schema!, part.table!)} (${columns}) FROM stdin;\n`);
      for await (const piece of readPart(part)) await write(piece);
      await write('\\.\n');
    } else if (part.kind === 'large-objects') {
      await write('\n-- large objects\n');
      for await (const piece of largeObjectPieces(readPart(part), SCRIPT_PIECE_BYTES)) {
        if (piece.type === 'object') await write(statements(createStatements(piece.header.oid, false)));
        else if (piece.type === 'data') await write(statements([putStatement(piece.oid, piece.offset, piece.bytes)]));
        else await write(statements(metadataStatements(piece.header)));
      }
    } else {
      for await (const piece of readPart(part)) await write(piece);
    }
  }
  await write(hookText(hooks.after));
  // pg_dump's last line: `dump create -s postgresql -i` takes a script without it for a cut-short one.
  await write('\nCOMMIT;\n\n--\n-- PostgreSQL database dump complete\n--\n');
}

function statements(list: string[]): string {
  return list.map((sql) => `${sql};\n`).join('');
}

/** Hooks in a script, where a restore would run them, each under a comment naming it. */
export function hookText(hooks: readonly RestoreHook[]): string {
  return hooks.map((hook) => `\n-- hook ${hook.name} (${hook.origin}:${hook.line})\n${hook.sql.trimEnd()}${hook.sql.trimEnd().endsWith(';') ? '' : ';'}\n`).join('');
}
