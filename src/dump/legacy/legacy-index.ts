import type { Datastore } from '../../datastores/datastore.js';
import { segmentProblem } from '../../datastores/keys.js';
import { DamagedObjectError, MIB } from '../../small-object.js';

/**
 * The original Replibyte's index, `metadata.json` at the datastore root (/work/shared reference §6):
 * `{"v": "0.10.0", "dumps": [{directory_name, size, created_at, compressed, encrypted}]}`; indexes
 * older than 0.5 call the list `backups`. Read, and edited only to forget a deleted dump; never created.
 */
export const LEGACY_INDEX_KEY = 'metadata.json';

export interface LegacyEntry {
  name: string;
  /** Stored (compressed, encrypted) bytes, as the original summed them. */
  size: number;
  createdAt: Date;
  compressed: boolean;
  encrypted: boolean;
}

interface RawIndex {
  v?: string;
  dumps?: RawEntry[];
  backups?: RawEntry[];
}

interface RawEntry {
  directory_name?: unknown;
  size?: unknown;
  created_at?: unknown;
  compressed?: unknown;
  encrypted?: unknown;
}

/** About 30,000 entries: far more than any datastore of the original held. Checked before reading. */
export const LEGACY_INDEX_MAX_BYTES = 4 * MIB;

/** The index as stored; a DamagedObjectError when it is too large or not a JSON object. */
async function readRawIndex(datastore: Datastore): Promise<RawIndex | undefined> {
  const bytes = await datastore.getSmall(LEGACY_INDEX_KEY, LEGACY_INDEX_MAX_BYTES);
  if (!bytes) return undefined;
  try {
    const json = JSON.parse(bytes.toString('utf8')) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
    return json as RawIndex;
  } catch {
    throw new DamagedObjectError(`${datastore.description}: ${LEGACY_INDEX_KEY} (the original Replibyte's index)`, 'not valid JSON');
  }
}

/**
 * The dumps the original's index lists. Entries it could not have written (no name, or a name that is
 * not one directory of the store: `.`, `..`, `a/b`) are ignored: such a name must never reach a delete.
 */
export async function readLegacyIndex(datastore: Datastore): Promise<LegacyEntry[]> {
  const index = await readRawIndex(datastore);
  const entries = index?.dumps ?? index?.backups ?? [];
  return entries
    .filter((entry): entry is RawEntry & { directory_name: string } => typeof entry?.directory_name === 'string' && segmentProblem(entry.directory_name) === undefined)
    .map((entry) => ({
      name: entry.directory_name,
      size: typeof entry.size === 'number' ? entry.size : 0,
      createdAt: new Date(typeof entry.created_at === 'number' ? entry.created_at : 0),
      compressed: entry.compressed !== false,
      encrypted: entry.encrypted === true,
    }));
}

export async function findLegacyEntry(datastore: Datastore, name: string): Promise<LegacyEntry | undefined> {
  return (await readLegacyIndex(datastore)).find((entry) => entry.name === name);
}

/**
 * Removes a dump's entry from the index (read-modify-write, as the original did: two tools deleting at
 * once may lose one edit, which at worst lists a dump whose chunks are gone).
 */
export async function forgetLegacyEntry(datastore: Datastore, name: string): Promise<void> {
  // A damaged index cannot be edited safely; `dump list` reports it, and lists none of its dumps.
  const index = await readRawIndex(datastore).catch((error: unknown) => {
    if (error instanceof DamagedObjectError) return undefined;
    throw error;
  });
  if (!index) return;
  const key = index.dumps ? 'dumps' : index.backups ? 'backups' : undefined;
  if (!key) return;
  const kept = index[key]!.filter((entry) => entry?.directory_name !== name);
  if (kept.length === index[key]!.length) return;
  await datastore.putAtomic(LEGACY_INDEX_KEY, Buffer.from(JSON.stringify({ ...index, [key]: kept })));
}
