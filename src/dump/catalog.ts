import type { Datastore } from '../datastores/datastore.js';
import { segmentProblem } from '../datastores/keys.js';
import { ReplibyteError } from '../errors.js';
import { DamagedObjectError } from '../small-object.js';
import { forgetLegacyEntry, LEGACY_INDEX_KEY, readLegacyIndex, type LegacyEntry } from './legacy/legacy-index.js';
import { checkStoredDumpName, MANIFEST_KEY, MANIFEST_MAX_BYTES, parseManifest, type Manifest, type Provenance } from './manifest.js';

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

/** A dump whose manifest cannot be read (too large, not JSON, malformed, misnamed). */
export interface DamagedDump {
  name: string;
  /** Why, in a few words: `manifest is not valid JSON`. */
  reason: string;
}

/** Every dump of a datastore: the readable ones newest first, and the damaged ones apart. */
export interface DumpCatalog {
  dumps: DumpSummary[];
  /**
   * Never restored, never picked by `latest`, never counted nor deleted by `--keep-last`/`--older-than`
   * (their dates cannot be trusted): only `dump delete NAME` removes one. `metadata.json` is listed here
   * when the original Replibyte's index itself cannot be read (the dumps it lists are then not shown).
   */
  damaged: DamagedDump[];
}

/**
 * The dumps of a datastore. The manifests are the index (docs/format.md): a directory without one is a
 * dump that never finished, and does not exist. One bad manifest does not hide the others: it is
 * reported in `damaged`, and the survey goes on. Errors of the store itself (unreachable, denied) stop it.
 */
export async function surveyDumps(datastore: Datastore): Promise<DumpCatalog> {
  const names = await datastore.listTopLevel();
  const summaries: DumpSummary[] = [];
  const damaged: DamagedDump[] = [];
  for (const name of names) {
    // A bucket may hold keys no replibyte wrote (`../x`, `a\\b`): they are not dumps, and never read.
    if (segmentProblem(name)) continue;
    try {
      const manifest = await readManifestIfAny(datastore, name);
      if (manifest) summaries.push(summarize(manifest));
    } catch (error) {
      if (!(error instanceof DamagedObjectError)) throw error;
      damaged.push({ name, reason: error.reason });
    }
  }
  // Dumps the original Replibyte wrote (its metadata.json); a name we hold a manifest for wins.
  let legacyEntries: LegacyEntry[] = [];
  try {
    legacyEntries = await readLegacyIndex(datastore);
  } catch (error) {
    if (!(error instanceof DamagedObjectError)) throw error;
    damaged.push({ name: LEGACY_INDEX_KEY, reason: `the original Replibyte's index: ${error.reason}; the dumps it lists are not shown` });
  }
  for (const entry of legacyEntries) {
    if (summaries.some((summary) => summary.name === entry.name) || damaged.some((dump) => dump.name === entry.name)) continue;
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
  summaries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name));
  return { dumps: summaries, damaged: damaged.sort((a, b) => a.name.localeCompare(b.name)) };
}

/** The readable dumps of a datastore, newest first (see surveyDumps for the damaged ones). */
export async function listDumps(datastore: Datastore): Promise<DumpSummary[]> {
  return (await surveyDumps(datastore)).dumps;
}

/**
 * A dump's manifest, undefined when there is none; a DamagedObjectError when it is too large, not a
 * manifest, or names another dump (it was moved or copied: its chunks are bound to its own name).
 */
export async function readManifestIfAny(datastore: Datastore, name: string): Promise<Manifest | undefined> {
  const where = `${datastore.description}: ${name}/${MANIFEST_KEY}`;
  const bytes = await datastore.getSmall(`${name}/${MANIFEST_KEY}`, MANIFEST_MAX_BYTES);
  if (!bytes) return undefined;
  return checkManifestName(parseManifest(bytes, where), name, where);
}

export function checkManifestName(manifest: Manifest, name: string, where: string): Manifest {
  if (manifest.name !== name) throw new DamagedObjectError(where, `its manifest names another dump (${manifest.name}): it was moved or replaced`);
  return manifest;
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
  const manifest = await readManifestIfAny(datastore, name);
  if (manifest) return manifest;
  throw await noSuchDump(datastore, name);
}

/** The error for a name that is no dump, with the names that are. */
export async function noSuchDump(datastore: Datastore, name: string): Promise<ReplibyteError> {
  const known = (await listDumps(datastore)).map((dump) => dump.name);
  return new ReplibyteError(
    `no dump named ${name} in ${datastore.description}`,
    known.length > 0 ? `known dumps: ${known.slice(0, 10).join(', ')}` : 'the datastore holds no dump',
  );
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

/** What a `dump delete` selection deletes, and the damaged dumps it leaves alone (to be told). */
export interface DeletePlan {
  names: string[];
  /** Damaged dumps that `--older-than`/`--keep-last` neither counted nor deleted. */
  skipped: DamagedDump[];
}

/**
 * The dumps a `dump delete` selection names; exactly one criterion must be given. `--keep-last` and
 * `--older-than` consider readable dumps only: a damaged one has no date to trust, and deleting it is a
 * decision its name must be given for (`dump delete NAME`), so it is returned in `skipped`.
 */
export async function planDumpDeletion(datastore: Datastore, selection: DeleteSelection, now = new Date()): Promise<DeletePlan> {
  const given = [selection.name !== undefined, selection.olderThanMs !== undefined, selection.keepLast !== undefined].filter(Boolean);
  if (given.length !== 1) throw new ReplibyteError('dump delete takes exactly one of: a dump name, --older-than, --keep-last');
  const { dumps, damaged } = await surveyDumps(datastore);
  if (selection.name !== undefined) {
    if (selection.name === LEGACY_INDEX_KEY) {
      throw new ReplibyteError(`${LEGACY_INDEX_KEY} is the original Replibyte's index, not a dump`, 'repair or remove it by hand');
    }
    checkStoredDumpName(selection.name);
    const known = dumps.some((dump) => dump.name === selection.name) || damaged.some((dump) => dump.name === selection.name);
    if (!known) await readManifest(datastore, selection.name);
    return { names: [selection.name], skipped: [] };
  }
  const skipped = damaged.filter((dump) => dump.name !== LEGACY_INDEX_KEY);
  if (selection.olderThanMs !== undefined) {
    const limit = now.getTime() - selection.olderThanMs;
    return { names: dumps.filter((dump) => dump.createdAt.getTime() < limit).map((dump) => dump.name), skipped };
  }
  return { names: dumps.slice(selection.keepLast).map((dump) => dump.name), skipped };
}

/** The dumps a `dump delete` selection names (planDumpDeletion, without the skipped damaged ones). */
export async function selectDumpsToDelete(datastore: Datastore, selection: DeleteSelection, now = new Date()): Promise<string[]> {
  return (await planDumpDeletion(datastore, selection, now)).names;
}

const DURATION = /^(\d+)([smhdw])$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `14d` (the original's only unit), and also `12h`, `30m`, `2w`, `90s`. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new ReplibyteError(`invalid duration '${text}': use a number and a unit, e.g. 14d, 12h, 2w`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
