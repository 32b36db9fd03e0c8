import type { Manifest } from '../dump/manifest.js';
import { ReplibyteError } from '../errors.js';

/**
 * A script dump has no server identity to compare (a live dump records one), only the name of the
 * database the script names. A destination database of that name that already holds the dump's tables
 * with rows may be the very database the script was taken from: a restore would wipe it and write the
 * fake data there. Such a destination is refused unless `--confirm-not-source`; a database of another
 * name, or one without those rows (a fresh database), is restored into.
 */
export function scriptSourceSuspect(manifest: Manifest, destinationDatabase: string, confirmNotSource: boolean): boolean {
  return manifest.source.kind === 'script' && manifest.source.database !== undefined && !confirmNotSource && manifest.source.database === destinationDatabase;
}

/** The tables of the dump that hold rows, to look for in the destination (at most `limit`). */
export function dumpTablesWithRows(manifest: Manifest, limit = 200): Array<{ schema: string | undefined; table: string }> {
  const seen = new Map<string, { schema: string | undefined; table: string }>();
  for (const part of manifest.parts) {
    if (part.kind !== 'table-data' || !part.table || (part.rows ?? 0) === 0) continue;
    seen.set(JSON.stringify([part.schema, part.table]), { schema: part.schema, table: part.table });
    if (seen.size >= limit) break;
  }
  return [...seen.values()];
}

export function scriptSourceRefusal(manifest: Manifest, where: string, filled: string[]): ReplibyteError {
  const shown = filled.slice(0, 5).join(', ') + (filled.length > 5 ? `, … (${filled.length} in all)` : '');
  return new ReplibyteError(
    `refusing to restore into ${where}: its database ${manifest.source.database} has the name of the database the script of dump ${manifest.name} was taken from, and already holds its tables with rows (${shown}): it may be that very database`,
    'if it is not the source, run the restore again with --confirm-not-source',
  );
}
