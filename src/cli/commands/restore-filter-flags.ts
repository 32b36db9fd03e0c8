import type { Command } from 'commander';
import { ReplibyteError } from '../../errors.js';
import type { RestoreFilter } from '../../restore-selection/restore-filter.js';
import { formatBytes, formatTable } from '../../reporting/format.js';
import type { DumpContents } from '../../operations/dump-restore.js';

export interface RestoreFilterFlags {
  schemaOnly?: boolean;
  dataOnly?: boolean;
  table?: string[];
  excludeTable?: string[];
  foreignKeysCheck?: boolean;
  list?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The flags `dump restore remote` and `local` share. `tableShort`: `-t` for --table, except on `local`,
 * where `-t` is the original's Docker image tag (accepted, ignored) and only `--table` is.
 */
export function addRestoreFilterFlags(command: Command, tableShort: boolean): Command {
  return command
    .option('--schema-only', 'restore the schema, no rows')
    .option('--data-only', 'restore the rows into a database that has the schema: the tables are emptied first, nothing is dropped')
    .option(`${tableShort ? '-t, ' : ''}--table <pattern>`, 'restore only tables matching this pattern (schema.table or table, * wildcards; repeatable)', collect)
    .option('--exclude-table <pattern>', 'leave out tables matching this pattern (repeatable)', collect)
    .option('--no-foreign-keys-check', 'restore tables that reference tables left out (their foreign keys are left out; with --data-only, tables referencing emptied ones are emptied too)')
    .option('--list', 'print what the dump holds (with the filters: what would be restored), restore nothing');
}

export function restoreFilterOf(flags: RestoreFilterFlags): RestoreFilter {
  if (flags.schemaOnly && flags.dataOnly) throw new ReplibyteError('--schema-only and --data-only cannot be used together');
  return {
    content: flags.schemaOnly ? 'schema' : flags.dataOnly ? 'data' : 'all',
    include: flags.table ?? [],
    exclude: flags.excludeTable ?? [],
    foreignKeysCheck: flags.foreignKeysCheck ?? true,
  };
}

/** `--list`: one line per part, in restore order, then the totals. */
export function contentsText(contents: DumpContents): string {
  const { manifest } = contents;
  const rows = manifest.parts.map((part) => [
    part.section,
    part.kind === 'table-data' ? `${part.schema ? `${part.schema}.` : ''}${part.table}` : part.label,
    part.kind === 'sql' || part.kind === 'collections' ? '' : String(part.rows ?? 0),
    formatBytes(part.rawBytes),
    formatBytes(part.chunks.reduce((sum, chunk) => sum + chunk.storedBytes, 0)),
  ]);
  const tables = new Set(manifest.parts.filter((part) => part.kind === 'table-data').map((part) => `${part.schema}.${part.table}`)).size;
  const header = `dump ${manifest.name} (${manifest.engine.kind}, created ${manifest.createdAt}${contents.authenticated ? ', manifest authenticated' : ''})`;
  const totals = `${manifest.parts.length} parts, ${tables} tables with rows, ${manifest.totals.rows} rows, ${formatBytes(manifest.totals.rawBytes)} raw, ${formatBytes(manifest.totals.storedBytes)} stored` +
    (contents.partsLeftOut > 0 ? ` (${contents.partsLeftOut} parts left out by the filters)` : '');
  return `${header}\n${formatTable(['section', 'part', 'rows', 'raw', 'stored'], rows)}\n${totals}\n`;
}
