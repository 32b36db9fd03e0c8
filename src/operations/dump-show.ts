import type { Config } from '../config/load.js';
import { openDatastore } from '../datastores/open.js';
import { readManifest, resolveDumpName } from '../dump/catalog.js';
import { openStoredDump } from '../dump/dump-opener.js';
import type { Manifest } from '../dump/manifest.js';

export interface DumpDescription {
  manifest: Manifest;
  /**
   * Whether the manifest (provenance included) was checked against its authentication tag with the
   * config's key. An unencrypted dump's manifest has no tag: whoever can write to the store can rewrite it.
   */
  authenticated: boolean;
}

/** `dump show`: a dump's manifest, authenticated with the config's key when the dump is encrypted. */
export async function describeDump(config: Config, value: string): Promise<DumpDescription> {
  const datastore = await openDatastore(config);
  try {
    const name = await resolveDumpName(datastore, value);
    const manifest = await readManifest(datastore, name);
    if (!manifest.encryption) return { manifest, authenticated: false };
    const dump = await openStoredDump(datastore, name, config.encryption_key);
    return { manifest: dump.manifest, authenticated: true };
  } finally {
    await datastore.close();
  }
}
