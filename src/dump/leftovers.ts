import type { Datastore } from '../datastores/datastore.js';
import { segmentProblem } from '../datastores/keys.js';
import { ReplibyteError } from '../errors.js';
import { readLegacyIndex } from './legacy/legacy-index.js';
import { DamagedObjectError } from '../small-object.js';
import { checkStoredDumpName, manifestExists } from './manifest.js';
import { readClaims, type ClaimState } from './name-claim.js';

/**
 * What a `dump create` that never wrote its manifest left under its name: chunks, claims, S3 multipart
 * uploads still open. A killed or disk-full run leaves them; no reader sees them (there is no manifest),
 * and with the default `dump-<epoch>` names no later run clears them, so `dump delete` does.
 */
export interface Leftover {
  name: string;
  /** Objects stored under the name. */
  objects: number;
  /** Uploads begun under the name and never completed (invisible to listings, billed all the same). */
  openUploads: boolean;
  /** The newest write under the name (an object, or a claim's heartbeat); undefined when only uploads are left. */
  lastWritten?: Date;
  /** A live claim: a run is still writing under this name, and nothing of it may be deleted. */
  writer?: ClaimState;
}

/** Every name without a manifest (nor an original-format entry) under which something is stored. */
export async function findLeftovers(datastore: Datastore, now = new Date()): Promise<Leftover[]> {
  const withUploads = new Set(await datastore.listTopLevelOpenUploads());
  const names = new Set([...(await datastore.listTopLevel()), ...withUploads]);
  const legacy = new Set((await readLegacyIndex(datastore)).map((entry) => entry.name));
  const leftovers: Leftover[] = [];
  for (const name of [...names].sort()) {
    // A key no replibyte wrote (`../x`) is not a dump's, and is never deleted from here.
    if (segmentProblem(name) || legacy.has(name)) continue;
    if (await manifestExists(datastore, name)) continue;
    const leftover = await inspect(datastore, name, withUploads.has(name), now);
    if (leftover) leftovers.push(leftover);
  }
  return leftovers;
}

/** The leftovers under `name`, or undefined when it is a dump or when nothing is stored under it. */
export async function leftoverOf(datastore: Datastore, name: string, now = new Date()): Promise<Leftover | undefined> {
  checkStoredDumpName(name);
  if (await manifestExists(datastore, name)) return undefined;
  // An index that cannot be read may list this name: then it is not taken for leftovers.
  const legacy = await readLegacyIndex(datastore).catch((error: unknown) => {
    if (error instanceof DamagedObjectError) return undefined;
    throw error;
  });
  if (!legacy || legacy.some((entry) => entry.name === name)) return undefined;
  return inspect(datastore, name, (await datastore.listTopLevelOpenUploads()).includes(name), now);
}

async function inspect(datastore: Datastore, name: string, openUploads: boolean, now: Date): Promise<Leftover | undefined> {
  let objects = 0;
  let newest = 0;
  for await (const object of datastore.listDetailed(`${name}/`)) {
    objects += 1;
    newest = Math.max(newest, object.modifiedAt.getTime());
  }
  if (objects === 0 && !openUploads) return undefined;
  const claims = await readClaims(datastore, name, now);
  for (const claim of claims) newest = Math.max(newest, claim.lastSeen.getTime());
  const writer = claims.find((claim) => claim.live);
  return { name, objects, openUploads, ...(newest > 0 && { lastWritten: new Date(newest) }), ...(writer && { writer }) };
}

/**
 * Deletes a name's leftovers (objects and open uploads), checking first, once more, that no run has
 * claimed the name or committed it since it was inspected.
 */
export async function deleteLeftover(datastore: Datastore, name: string): Promise<void> {
  checkStoredDumpName(name);
  if (await manifestExists(datastore, name)) throw new ReplibyteError(`${name} became a dump while its leftovers were being deleted; nothing deleted`);
  const writer = (await readClaims(datastore, name)).find((claim) => claim.live);
  if (writer) throw new ReplibyteError(`${name} ${describeWriter(writer)}; nothing deleted`);
  await datastore.deletePrefix(`${name}/`);
}

/** "is being written by dump create pid 12 on host-a (started …)": for messages. */
export function describeWriter(writer: ClaimState): string {
  const record = writer.record;
  return record
    ? `is being written by dump create pid ${record.pid} on ${record.host} (started ${record.startedAt})`
    : 'is being written by another dump create';
}
