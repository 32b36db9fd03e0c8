import type { Writable } from 'node:stream';
import type { Config } from '../config/load.js';
import type { Datastore } from '../datastores/datastore.js';
import { openDatastore } from '../datastores/open.js';
import type { PartReader, RestoreSummary } from '../destinations/destination.js';
import { PostgresDestination } from '../destinations/postgres/postgres-destination.js';
import { writeSqlScript } from '../destinations/stdout/sql-script-writer.js';
import { readManifest, resolveDumpName } from '../dump/catalog.js';
import { readPart } from '../dump/dump-reader.js';
import { cipherForReading, type ChunkCipher } from '../dump/encryption.js';
import type { Manifest } from '../dump/manifest.js';
import { ReplibyteError } from '../errors.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';

export interface RestoreOptions {
  /** `latest` or a dump name. */
  value: string;
  reporter?: Reporter;
  /** Connections restoring at once; 1 (the default) restores in one transaction. */
  jobs?: number;
}

export interface OpenedDump {
  datastore: Datastore;
  manifest: Manifest;
  readPart: PartReader;
}

/** Finds a dump and prepares to read it: the key is checked here, before any destination is touched. */
export async function openDump(config: Config, value: string): Promise<OpenedDump> {
  const datastore = await openDatastore(config);
  try {
    const name = await resolveDumpName(datastore, value);
    const manifest = await readManifest(datastore, name);
    let cipher: ChunkCipher | undefined;
    if (manifest.encryption) {
      if (!config.encryption_key) {
        throw new ReplibyteError(`dump ${name} is encrypted: set encryption_key in the config to restore it`);
      }
      cipher = await cipherForReading(manifest.encryption, config.encryption_key, name);
    }
    return { datastore, manifest, readPart: (part) => readPart(datastore, manifest, part, cipher) };
  } catch (error) {
    await datastore.close();
    throw error;
  }
}

/** `dump restore remote`: into `destination.connection_uri`. */
export async function restoreDump(config: Config, options: RestoreOptions): Promise<RestoreSummary> {
  const reporter = options.reporter ?? silentReporter;
  const uri = config.destination?.connection_uri;
  if (!uri) throw new ReplibyteError('destination.connection_uri is required for `dump restore remote` (or use -o to print the dump)');
  const dump = await openDump(config, options.value);
  try {
    reporter.info(`restoring dump ${dump.manifest.name} (${dump.manifest.totals.rows} rows)`);
    const destination = new PostgresDestination({ uri, wipe: config.destination?.wipe_database ?? true, ...(options.jobs && { jobs: options.jobs }) });
    const summary = await destination.restore(dump.manifest, dump.readPart, reporter);
    reporter.info(summary.outcome);
    return summary;
  } finally {
    await dump.datastore.close();
  }
}

/** `dump restore … -o`: the dump as a script on `output`. */
export async function restoreToScript(config: Config, options: RestoreOptions & { output: Writable }): Promise<Manifest> {
  const dump = await openDump(config, options.value);
  try {
    await writeSqlScript(dump.manifest, dump.readPart, options.output);
    return dump.manifest;
  } finally {
    await dump.datastore.close();
  }
}
