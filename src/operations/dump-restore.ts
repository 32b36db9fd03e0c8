import type { Writable } from 'node:stream';
import type { Config } from '../config/load.js';
import type { Datastore } from '../datastores/datastore.js';
import { openDatastore } from '../datastores/open.js';
import type { RestoreHooks, RestoreSummary, RestoreTarget } from '../destinations/destination.js';
import { resolveDumpName } from '../dump/catalog.js';
import { openStoredDump, type OpenDumpOptions, type ReadableDump } from '../dump/dump-opener.js';
import type { Manifest } from '../dump/manifest.js';
import { ReplibyteError, withContext } from '../errors.js';
import { engineForDump, engineForUri } from '../engines/index.js';
import { redactUri } from '../engines/uri-schemes.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';
import { refuseStatementsOutsideDestination } from './script-dump-check.js';
import { loadRestoreHooks } from './restore-hooks.js';
import { selectForRestore } from '../restore-selection/select-for-restore.js';
import { keepsPart, keptTables, RESTORE_EVERYTHING, filtersTables, tablesWithRows, withParts, type RestoreFilter } from '../restore-selection/restore-filter.js';
import { describeDump } from './dump-show.js';

export interface RestoreOptions {
  /** `latest` or a dump name. */
  value: string;
  reporter?: Reporter;
  /** Connections restoring at once; 1 (the default) restores in one transaction. */
  jobs?: number;
  /** With encryption_key, restore a dump the key does not protect anyway (`--allow-unencrypted`). */
  allowUnencrypted?: boolean;
  /**
   * `--confirm-not-source`: restore a script dump into a database that has the script's database name
   * and already holds its tables with rows (refused otherwise: it may be the database the script came from).
   */
  confirmNotSource?: boolean;
  /** Interrupts the restore (Ctrl-C); the error then says what the destination holds. */
  signal?: AbortSignal;
  /** `--schema-only`, `--data-only`, `-t`, `--exclude-table`, `--no-foreign-keys-check` (default: everything). */
  filter?: RestoreFilter;
}

export interface OpenedDump extends ReadableDump {
  datastore: Datastore;
}

/**
 * Finds a dump (ours or the original Replibyte's) and prepares to read it: the key, the manifest's tag
 * and the chunks' presence are checked here, before any destination is touched.
 */
export async function openDump(config: Config, value: string, options: OpenDumpOptions = {}): Promise<OpenedDump> {
  const datastore = await openDatastore(config);
  try {
    const name = await resolveDumpName(datastore, value);
    return { datastore, ...(await openStoredDump(datastore, name, config.encryption_key, options)) };
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
  const hooks = await loadRestoreHooks(config);
  const filter = options.filter ?? RESTORE_EVERYTHING;
  if (filter.content === 'data' && (options.jobs ?? 1) > 1 && engineForUri(uri, 'destination.connection_uri').name === 'postgresql') {
    throw new ReplibyteError('--data-only restores PostgreSQL in one transaction: use --jobs 1 (the default); nothing was changed');
  }
  const dump = await openDump(config, options.value, { allowUnencrypted: options.allowUnencrypted ?? false });
  try {
    await refuseStatementsOutsideDestination(dump.manifest, dump.readPart);
    const selected = await selectForRestore(dump.manifest, dump.readPart, filter);
    for (const warning of selected.warnings) reporter.warn(warning);
    reporter.info(`restoring ${describeSelection(filter)}dump ${dump.manifest.name} (${selected.manifest.totals.rows} rows)`);
    const destination = await destinationFor(uri, dump.manifest, {
      wipe: config.destination?.wipe_database ?? true,
      jobs: options.jobs,
      confirmNotSource: options.confirmNotSource ?? false,
      hooks,
      ...(filter.content === 'data' && { dataOnly: { cascade: !filter.foreignKeysCheck } }),
    });
    if (!destination.atomic) await verifyBeforeCommitting(dump, uri, reporter);
    const summary = await destination.restore(selected.manifest, selected.readPart, reporter, options.signal);
    reporter.info(summary.outcome);
    return summary;
  } finally {
    await dump.datastore.close();
  }
}

/**
 * A restore that commits as it goes (--jobs > 1, MySQL, MongoDB) could commit the wipe and whole tables
 * before it reads a damaged chunk of the last one: every chunk is read and checked first, so no row of a
 * dump that fails its checks is committed (docs/decisions/0012-check-chunks-before-a-restore-that-commits-as-it-goes.md).
 * A restore in one transaction needs no first pass: damage rolls it back.
 */
async function verifyBeforeCommitting(dump: OpenedDump, uri: string, reporter: Reporter): Promise<void> {
  const { chunks, storedBytes } = dump.manifest.totals;
  reporter.info(`checking the ${chunks} chunks (${storedBytes} bytes) of dump ${dump.manifest.name} before the restore commits anything`);
  await dump.verifyChunks().catch((error: unknown) => {
    throw withContext(`restore refused, nothing was changed in destination ${redactUri(uri)}`, error);
  });
}

/** The destination by URI scheme; a dump of another engine is refused before anything is touched. */
interface DestinationChoices {
  wipe: boolean;
  jobs: number | undefined;
  confirmNotSource: boolean;
  hooks: RestoreHooks;
  dataOnly?: { cascade: boolean };
}

/** `the schema of `, `the rows of ` …: what a partial restore restores, for its first line. */
function describeSelection(filter: RestoreFilter): string {
  const what = filter.content === 'schema' ? 'the schema of ' : filter.content === 'data' ? 'the rows of ' : '';
  return `${what}${filtersTables(filter) ? 'some tables of ' : ''}`;
}

async function destinationFor(uri: string, manifest: Manifest, choices: DestinationChoices): Promise<RestoreTarget> {
  const target = engineForUri(uri, 'destination.connection_uri');
  const source = engineForDump(manifest);
  if (source !== target) {
    throw new ReplibyteError(
      `dump ${manifest.name} holds a ${manifest.engine.kind} database; it cannot be restored into the ${target.name} destination ${redactUri(uri)}`,
    );
  }
  return target.openDestination({
    uri,
    wipe: choices.wipe,
    confirmNotSource: choices.confirmNotSource,
    hooks: choices.hooks,
    ...(choices.jobs && { jobs: choices.jobs }),
    ...(choices.dataOnly && { dataOnly: choices.dataOnly }),
  });
}

/** `dump restore … -o`: the dump as a script on `output` (a mongodump archive for a MongoDB dump). */
export async function restoreToScript(config: Config, options: RestoreOptions & { output: Writable }): Promise<Manifest> {
  const hooks = await loadRestoreHooks(config);
  const dump = await openDump(config, options.value, { allowUnencrypted: options.allowUnencrypted ?? false });
  try {
    await refuseStatementsOutsideDestination(dump.manifest, dump.readPart);
    const { manifest, readPart } = await selectForRestore(dump.manifest, dump.readPart, options.filter ?? RESTORE_EVERYTHING);
    await engineForDump(dump.manifest).writeScript(manifest, readPart, options.output, hooks);
    return manifest;
  } finally {
    await dump.datastore.close();
  }
}

export interface DumpContents {
  /** The dump's manifest as a restore with this filter would see it: its kept parts, their totals. */
  manifest: Manifest;
  /** How many parts the filter leaves out. */
  partsLeftOut: number;
  authenticated: boolean;
}

/**
 * `dump restore --list`: what the dump holds (or, with filters, what the restore would restore), read
 * from the manifest as `dump show` reads it; nothing is restored and no destination is opened. Tables
 * are those with rows (the schema parts are not read).
 */
export async function listDumpContents(config: Config, value: string, filter: RestoreFilter = RESTORE_EVERYTHING): Promise<DumpContents> {
  const { manifest, authenticated } = await describeDump(config, value);
  const kept = filtersTables(filter) ? keptTables(tablesWithRows(manifest), filter, manifest.name) : undefined;
  const parts = manifest.parts.filter((part) => keepsPart(part, filter, kept));
  return { manifest: withParts(manifest, parts), partsLeftOut: manifest.parts.length - parts.length, authenticated };
}
