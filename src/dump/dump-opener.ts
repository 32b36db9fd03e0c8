import type { Datastore } from '../datastores/datastore.js';
import { ReplibyteError } from '../errors.js';
import { checkManifestName, noSuchDump } from './catalog.js';
import { readPart, verifyStoredChunks } from './dump-reader.js';
import { DumpFault } from './dump-fault.js';
import { cipherForReading, type ChunkCipher } from './encryption.js';
import { manifestSigningBytes } from './encryption/canonical-json.js';
import { openLegacyDump } from './legacy/legacy-dump.js';
import { findLegacyEntry } from './legacy/legacy-index.js';
import { MANIFEST_KEY, MANIFEST_MAX_BYTES, parseManifest, type Manifest, type ManifestPart } from './manifest.js';

export interface ReadableDump {
  manifest: Manifest;
  format: 'replibyte-v1' | 'replibyte-legacy';
  encrypted: boolean;
  readPart: (part: ManifestPart) => AsyncIterable<Buffer>;
  /**
   * Reads every chunk once and checks it against the manifest (size, SHA-256), before a restore that
   * commits as it goes touches its destination. The original format has nothing more to check here: an
   * encrypted legacy dump was authenticated when it was opened, an unencrypted one has no checksums.
   */
  verifyChunks: () => Promise<void>;
}

export interface OpenDumpOptions {
  /**
   * With an encryption key, read a dump that the key does not protect (an unencrypted one, or one in
   * the original Replibyte's format) anyway: the user said so (`--allow-unencrypted`).
   */
  allowUnencrypted?: boolean;
}

/**
 * Everything that can be checked before the first row is read, is checked here: the manifest's
 * version and tag, the key (its check value), the presence of every chunk. A restore calls this before
 * it touches its destination, so a missing key, a wrong key, a forged manifest or a deleted chunk
 * leaves the destination alone. Every command that reads a dump (restore, -o, verify) opens it here.
 *
 * With a passphrase, a dump the key does not authenticate is refused unless `allowUnencrypted`:
 * anyone who can write to the datastore can make one, with any SQL in it (docs/format.md, "Threat
 * model"), so the key would otherwise protect nothing against a forger.
 */
export async function openStoredDump(
  datastore: Datastore,
  name: string,
  passphrase: string | undefined,
  options: OpenDumpOptions = {},
): Promise<ReadableDump> {
  const raw = await datastore.getSmall(`${name}/${MANIFEST_KEY}`, MANIFEST_MAX_BYTES);
  if (!raw) {
    const legacy = await findLegacyEntry(datastore, name);
    if (legacy) {
      if (passphrase && !options.allowUnencrypted) throw unprotectedDump(datastore, name, 'is in the original Replibyte format');
      const dump = await openLegacyDump(datastore, legacy, passphrase);
      return {
        manifest: dump.manifest,
        format: 'replibyte-legacy',
        encrypted: legacy.encrypted,
        readPart: dump.readPart,
        verifyChunks: () => Promise.resolve(),
      };
    }
    throw await noSuchDump(datastore, name);
  }
  // The bytes read once are the ones parsed and authenticated: a second read could see another manifest.
  const where = `${datastore.description}: ${name}/${MANIFEST_KEY}`;
  const manifest = checkManifestName(parseManifest(raw, where), name, where);
  if (!manifest.encryption && passphrase && !options.allowUnencrypted) throw unprotectedDump(datastore, name, 'is not encrypted');
  let cipher: ChunkCipher | undefined;
  if (manifest.encryption) {
    cipher = await cipherForReading(manifest.encryption, passphrase, name);
    const tag = manifest.encryption.manifestTag;
    if (typeof tag !== 'string') throw new ReplibyteError(`dump ${name}: the manifest of an encrypted dump has no authentication tag`);
    try {
      cipher.verifyManifest(manifestSigningBytes(JSON.parse(raw.toString('utf8'))), tag);
    } catch (error) {
      throw new ReplibyteError(`dump ${name}: ${(error as Error).message}`);
    }
  }
  await checkChunksPresent(datastore, manifest);
  return {
    manifest,
    format: 'replibyte-v1',
    encrypted: cipher !== undefined,
    readPart: (part) => readPart(datastore, manifest, part, cipher),
    verifyChunks: () => verifyStoredChunks(datastore, manifest),
  };
}

/** The refusal of a dump that the configured key cannot authenticate. */
function unprotectedDump(datastore: Datastore, name: string, what: string): ReplibyteError {
  return new ReplibyteError(
    `dump ${name} ${what}, but the config has encryption_key: the key cannot authenticate it, and anyone who can write to ${datastore.description} could have made it`,
    'if you trust every writer of the datastore, pass --allow-unencrypted to read it anyway',
  );
}

async function checkChunksPresent(datastore: Datastore, manifest: Manifest): Promise<void> {
  const present = new Set<string>();
  for await (const key of datastore.list(`${manifest.name}/`)) present.add(key.slice(manifest.name.length + 1));
  for (const part of manifest.parts) {
    for (const chunk of part.chunks) {
      if (!present.has(chunk.key)) {
        throw new DumpFault(`dump ${manifest.name}, chunk ${chunk.key} (${part.label}): the chunk is missing from the datastore`, chunk.key);
      }
    }
  }
}
