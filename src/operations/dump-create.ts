import { compressionOf, type Config } from '../config/load.js';
import { openDatastore } from '../datastores/open.js';
import { DumpWriter } from '../dump/dump-writer.js';
import { cipherForWriting } from '../dump/encryption.js';
import { tablesWithData, type Manifest } from '../dump/manifest.js';
import { ReplibyteError } from '../errors.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';
import { openSource, type SourceRequest } from '../sources/open.js';
import { builtinTransformers } from '../transformers/builtin/index.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import { loadCustomTransformers } from '../transformers/custom-modules.js';
import { resolveSalt } from '../transformers/salt.js';

export interface CreateDumpOptions extends SourceRequest {
  name?: string;
  reporter?: Reporter;
  registry?: TransformerRegistry;
  chunkSize?: number;
  /** Aborts the dump (its chunks are removed) when the signal fires, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

/**
 * `dump create`: source → transform → encode → compress → encrypt → datastore, then the manifest.
 * On any failure the chunks written so far are removed, and the dump never appears in `dump list`.
 */
export async function createDump(config: Config, options: CreateDumpOptions = {}): Promise<Manifest> {
  const reporter = options.reporter ?? silentReporter;
  const registry = options.registry ?? builtinTransformers();
  const { salt, source: saltSource } = resolveSalt(config);
  if (saltSource === 'random' && (config.source?.transformers ?? []).length > 0) {
    reporter.warn('no `salt` (nor `encryption_key`) in the config: transformers use a random salt for this run, so their outputs will not match the previous dump\'s');
  }
  // Custom transformer modules are imported before anything is opened: a broken module fails fast.
  await loadCustomTransformers(config);
  const started = Date.now();
  const datastore = await openDatastore(config);
  try {
    const cipher = config.encryption_key ? await cipherForWriting(config.encryption_key) : undefined;
    const source = await openSource(config, options);
    const writer = await DumpWriter.begin(datastore, {
      name: options.name ?? `dump-${Date.now()}`,
      compression: compressionOf(config),
      ...(cipher && { cipher }),
      ...(options.chunkSize && { chunkSize: options.chunkSize }),
      ...(reporter.progress && { progress: (event) => reporter.progress?.(event) }),
    });
    const onAbort = () => source.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const metadata = await source.dump(writer, { config, registry, salt, reporter });
      if (options.signal?.aborted) throw new ReplibyteError('dump create was interrupted');
      const manifest = await writer.commit(metadata);
      reporter.progress?.({
        type: 'end',
        operation: 'dump',
        tables: tablesWithData(manifest.parts),
        rows: manifest.totals.rows,
        bytesIn: manifest.totals.rawBytes,
        bytesOut: manifest.totals.storedBytes,
        seconds: (Date.now() - started) / 1000,
      });
      reporter.info(`dump ${manifest.name} written to ${datastore.description}: ${manifest.totals.rows} rows, ${manifest.totals.storedBytes} bytes stored`);
      return manifest;
    } catch (error) {
      await writer.abort();
      if (options.signal?.aborted) throw new ReplibyteError('dump create was interrupted; nothing was stored');
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await source.close();
    }
  } finally {
    await datastore.close();
  }
}
