import { ReplibyteError } from '../errors.js';
import type { Manifest, ManifestPart } from '../dump/manifest.js';
import { matcher } from '../selection/table-selection.js';
import { tableKey, tableLabel, type DumpTable } from './statement-tables.js';

/** What `dump restore` restores of a dump (README "Restore modes"). */
export interface RestoreFilter {
  /** `--schema-only`: no rows; `--data-only`: rows only, into a database that has the schema. */
  content: 'all' | 'schema' | 'data';
  /** `-t/--table`: only these tables (`*` wildcards; `schema.table` or `table`). Empty: every table. */
  include: readonly string[];
  /** `--exclude-table`: not these tables. */
  exclude: readonly string[];
  /** `--no-foreign-keys-check` turns it off: a kept table may reference a table left out. */
  foreignKeysCheck: boolean;
}

export const RESTORE_EVERYTHING: RestoreFilter = { content: 'all', include: [], exclude: [], foreignKeysCheck: true };

export function filtersTables(filter: RestoreFilter): boolean {
  return filter.include.length > 0 || filter.exclude.length > 0;
}

export function isRestoreEverything(filter: RestoreFilter): boolean {
  return filter.content === 'all' && !filtersTables(filter);
}

/** `public.orders` matches `public.orders`, `orders`, `public.ord*`, `*.orders`; a pattern without a dot names the table alone. */
function patternMatcher(pattern: string): (table: DumpTable) => boolean {
  const dot = pattern.indexOf('.');
  if (dot === -1) {
    const name = matcher(pattern);
    return (table) => name(table.name);
  }
  const schema = matcher(pattern.slice(0, dot));
  const name = matcher(pattern.slice(dot + 1));
  return (table) => schema(table.schema) && name(table.name);
}

/**
 * The tables the filter keeps out of `tables`. A pattern that matches no table of the dump is an error
 * (a typo would otherwise restore nothing, or everything): it lists the dump's tables.
 */
export function keptTables(tables: readonly DumpTable[], filter: RestoreFilter, dumpName: string): Set<string> {
  const problems: string[] = [];
  const check = (flag: string, patterns: readonly string[]) =>
    patterns.map((pattern) => {
      const matches = patternMatcher(pattern);
      if (!tables.some(matches)) problems.push(`${flag} ${pattern}`);
      return matches;
    });
  const include = check('-t', filter.include);
  const exclude = check('--exclude-table', filter.exclude);
  if (problems.length > 0) {
    const known = tables.map(tableLabel).sort();
    throw new ReplibyteError(
      `${problems.join(', ')}: matches no table of dump ${dumpName}; nothing was changed`,
      `its tables: ${known.slice(0, 40).join(', ')}${known.length > 40 ? `, … (${known.length} in all)` : ''}`,
    );
  }
  return new Set(
    tables
      .filter((table) => (include.length === 0 || include.some((m) => m(table))) && !exclude.some((m) => m(table)))
      .map(tableKey),
  );
}

/** The tables the dump holds rows of (its `table-data` parts). */
export function tablesWithRows(manifest: Manifest): DumpTable[] {
  const seen = new Map<string, DumpTable>();
  for (const part of manifest.parts) {
    if (part.kind !== 'table-data') continue;
    const table = { schema: part.schema ?? '', name: part.table ?? '' };
    seen.set(tableKey(table), table);
  }
  return [...seen.values()];
}

/**
 * Which parts the filter keeps, before statements are looked at: `--schema-only` keeps the schema parts,
 * `--data-only` the rows (and sequence values), a table filter the rows of kept tables. Large objects
 * belong to no table: a table filter leaves them out, as pg_restore -t does.
 */
export function keepsPart(part: ManifestPart, filter: RestoreFilter, kept: Set<string> | undefined): boolean {
  const schemaPart = (part.kind === 'sql' || part.kind === 'collections') && part.section !== 'data';
  if (filter.content === 'schema' && !schemaPart) return false;
  if (filter.content === 'data' && schemaPart) return false;
  if (part.kind === 'large-objects') return kept === undefined;
  if (part.kind === 'table-data' && kept) return kept.has(tableKey({ schema: part.schema ?? '', name: part.table ?? '' }));
  return true;
}

/** A manifest of the kept parts, its totals recomputed (progress and the summary read them). */
export function withParts(manifest: Manifest, parts: ManifestPart[]): Manifest {
  const sum = (pick: (part: ManifestPart) => number) => parts.reduce((total, part) => total + pick(part), 0);
  return {
    ...manifest,
    parts,
    totals: {
      rows: sum((part) => (part.kind === 'large-objects' ? 0 : (part.rows ?? 0))),
      rawBytes: sum((part) => part.rawBytes),
      storedBytes: sum((part) => part.chunks.reduce((total, chunk) => total + chunk.storedBytes, 0)),
      chunks: sum((part) => part.chunks.length),
    },
  };
}
