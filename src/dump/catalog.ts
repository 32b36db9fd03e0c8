import type { Datastore } from '../datastores/datastore.js';
import { segmentProblem } from '../datastores/keys.js';
import { ReplibyteError } from '../errors.js';
import { forgetLegacyEntry, readLegacyIndex } from './legacy/legacy-index.js';
import { checkStoredDumpName, MANIFEST_KEY, parseManifest, type Manifest, type Provenance } from './manifest.js';

/** What `dump list` shows of a dump, whatever format it was written in. */
export interface DumpSummary {
  name: string;
  createdAt: Date;
  storedBytes: number;
  compressed: boolean;
  encrypted: boolean;
  engine: string;
  /** The source server's version, when the dump recorded it. */
  engineVersion?: string;
  format: 'replibyte-v1' | 'replibyte-legacy';
  /** How it was made (fingerprints of the salt and rules, strict mode, scan); `dump show` prints it. */
  provenance?: Provenance;
}

/**
 * The dumps of a datastore. The manifests are the index (docs/format.md): a directory without one is a
 * dump that never finished, and does not exist. Newest first.
 */
export async function listDumps(datastore: Datastore): Promise<DumpSummary[]> {
  const names = await datastore.listTopLevel();
  const summaries: DumpSummary[] = [];
  for (const name of names) {
    // A bucket may hold keys no replibyte wrote (`../x`, `a\\b`): they are not dumps, and never read.
    if (segmentProblem(name)) continue;
    const bytes = await datastore.getSmall(`${name}/${MANIFEST_KEY}`);
    if (!bytes) continue;
    summaries.push(summarize(parseManifest(bytes, `${datastore.description}: ${name}/${MANIFEST_KEY}`)));
  }
  // Dumps the original Replibyte wrote (its metadata.json); a name we hold a manifest for wins.
  for (const entry of await readLegacyIndex(datastore)) {
    if (summaries.some((summary) => summary.name === entry.name)) continue;
    summaries.push({
      name: entry.name,
      createdAt: entry.createdAt,
      storedBytes: entry.size,
      compressed: entry.compressed,
      encrypted: entry.encrypted,
      engine: 'unknown',
      format: 'replibyte-legacy',
    });
  }
  return summaries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name));
}

function summarize(manifest: Manifest): DumpSummary {
  return {
    name: manifest.name,
    createdAt: new Date(manifest.createdAt),
    storedBytes: manifest.totals.storedBytes,
    compressed: manifest.compression !== 'none',
    encrypted: manifest.encryption !== null,
    engine: manifest.engine.kind,
    ...(manifest.engine.serverVersion && { engineVersion: manifest.engine.serverVersion }),
    format: 'replibyte-v1',
    ...(manifest.provenance && { provenance: manifest.provenance }),
  };
}

/** `latest` or a name, as the original's `-v` took. */
export async function resolveDumpName(datastore: Datastore, value: string): Promise<string> {
  if (value !== 'latest') return checkStoredDumpName(value);
  const [newest] = await listDumps(datastore);
  if (!newest) throw new ReplibyteError(`no dump in ${datastore.description}`, 'run `replibyte dump create` first');
  return newest.name;
}

export async function readManifest(datastore: Datastore, name: string): Promise<Manifest> {
  const bytes = await datastore.getSmall(`${name}/${MANIFEST_KEY}`);
  if (!bytes) {
    const known = (await listDumps(datastore)).map((dump) => dump.name);
    throw new ReplibyteError(
      `no dump named ${name} in ${datastore.description}`,
      known.length > 0 ? `known dumps: ${known.slice(0, 10).join(', ')}` : 'the datastore holds no dump',
    );
  }
  return parseManifest(bytes, `${datastore.description}: ${name}/${MANIFEST_KEY}`);
}

/** Deletes a dump: the manifest first, so the dump disappears at once even if removing chunks fails. */
export async function deleteDump(datastore: Datastore, name: string): Promise<void> {
  checkStoredDumpName(name);
  await datastore.delete(`${name}/${MANIFEST_KEY}`);
  await forgetLegacyEntry(datastore, name);
  await datastore.deletePrefix(`${name}/`);
}

export interface DeleteSelection {
  name?: string;
  olderThanMs?: number;
  keepLast?: number;
}

/** The dumps a `dump delete` selection names; exactly one criterion must be given. */
export async function selectDumpsToDelete(datastore: Datastore, selection: DeleteSelection, now = new Date()): Promise<string[]> {
  const given = [selection.name !== undefined, selection.olderThanMs !== undefined, selection.keepLast !== undefined].filter(Boolean);
  if (given.length !== 1) throw new ReplibyteError('dump delete takes exactly one of: a dump name, --older-than, --keep-last');
  const dumps = await listDumps(datastore);
  if (selection.name !== undefined) {
    checkStoredDumpName(selection.name);
    if (!dumps.some((dump) => dump.name === selection.name)) await readManifest(datastore, selection.name);
    return [selection.name];
  }
  if (selection.olderThanMs !== undefined) {
    const limit = now.getTime() - selection.olderThanMs;
    return dumps.filter((dump) => dump.createdAt.getTime() < limit).map((dump) => dump.name);
  }
  return dumps.slice(selection.keepLast).map((dump) => dump.name);
}

const DURATION = /^(\d+)([smhdw])$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `14d` (the original's only unit), and also `12h`, `30m`, `2w`, `90s`. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new ReplibyteError(`invalid duration '${text}': use a number and a unit, e.g. 14d, 12h, 2w`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
