import { compressionOf, type Config } from '../config/load.js';
import { openDatastore } from '../datastores/open.js';
import { DumpWriter } from '../dump/dump-writer.js';
import { cipherForWriting } from '../dump/encryption.js';
import { checkDumpName, tablesWithData, type Manifest } from '../dump/manifest.js';
import { ReplibyteError } from '../errors.js';
import { silentReporter, type Reporter } from '../reporting/reporter.js';
import { openSource, type SourceRequest } from '../sources/open.js';
import type { DumpSource } from '../sources/source.js';
import { builtinTransformers } from '../transformers/builtin/index.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import { resolveSalt } from '../transformers/salt.js';
import { buildProvenance } from '../dump/provenance.js';
import type { ManifestPart, PartDescription } from '../dump/manifest.js';
import { describeFinding, ResidualScanner, transformedColumns, type ResidualScanReport, type RowSampling } from '../scan/residual-scan.js';
import type { PartSink } from '../sources/source.js';

export interface CreateDumpOptions extends SourceRequest {
  name?: string;
  reporter?: Reporter;
  registry?: TransformerRegistry;
  chunkSize?: number;
  /** Aborts the dump (its chunks are removed) when the signal fires, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /**
   * `--scan`: run the residual scan over a sample of every table's rows as they are written, and refuse
   * to commit the dump when it finds personal-looking values in a column no transformer rewrote.
   */
  scan?: boolean;
  /** Whether strict mode checked the plan before the dump (recorded in the provenance). */
  strict?: boolean;
}

/**
 * What `dump create --scan` looks at: the first 1,000 rows of every table part, then one row in 50.
 * A planted value in the first rows is always seen; a full pass is `dump verify --scan`.
 */
export const CREATE_SCAN_SAMPLING: RowSampling = { first: 1_000, every: 50 };

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
  const name = checkDumpName(options.name ?? `dump-${Date.now()}`);
  // Custom transformer modules are imported before anything is opened: a broken module fails fast.
  const [broken] = await registry.customModules.load(config);
  if (broken) throw broken.error;
  const started = Date.now();
  const datastore = await openDatastore(config);
  try {
    const cipher = config.encryption_key ? await cipherForWriting(config.encryption_key) : undefined;
    // The name is claimed (which proves the datastore writable) before the source is opened: a store
    // or a name that cannot be used fails here, not after the source's work.
    const writer = await DumpWriter.begin(datastore, {
      name,
      compression: compressionOf(config),
      ...(cipher && { cipher }),
      ...(options.chunkSize && { chunkSize: options.chunkSize }),
      ...(reporter.progress && { progress: (event) => reporter.progress?.(event) }),
    });
    let source: DumpSource;
    try {
      source = await openSource(config, options);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const onAbort = () => void source.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      const scanning = options.scan ? new ScanningSink(writer) : undefined;
      const metadata = await source.dump(scanning ?? writer, { config, registry, salt, reporter });
      if (options.signal?.aborted) throw new ReplibyteError('dump create was interrupted');
      const scan = scanning && (await scanning.report(metadata.transformed));
      if (scan) refuseFindings(scan);
      const provenance = buildProvenance({
        salt,
        saltSource,
        transformed: metadata.transformed,
        strict: options.strict === true || config.source?.strict === true,
        ...(scan && { scan: { mode: scan.mode, rowsScanned: scan.rowsScanned, findings: scan.findings.length } }),
      });
      const manifest = await writer.commit({ ...metadata, provenance });
      if (scan) reporter.info(`residual scan: ${scan.rowsScanned} rows scanned (sampled), nothing personal-looking found`);
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

/**
 * A PartSink that hands every table part to the writer and scans its pieces as they pass (the residual
 * scan). A source that knows its plan up front says so (`planned`), and the transformed columns are then
 * skipped as the rows pass; otherwise (a script read as it streams) every column is tallied and the
 * transformed ones are left out of the report at the end.
 */
class ScanningSink implements PartSink {
  private readonly scanner: ResidualScanner;
  private excluded: (schema: string, table: string, column: string) => boolean = () => false;

  constructor(private readonly writer: PartSink) {
    this.scanner = new ResidualScanner(CREATE_SCAN_SAMPLING, (schema, table, column) => this.excluded(schema, table, column));
  }

  planned(transformed: Parameters<typeof transformedColumns>[0]): void {
    this.excluded = transformedColumns(transformed);
  }

  writePart(description: PartDescription, data: AsyncIterable<Buffer>): Promise<ManifestPart> {
    if (description.kind !== 'table-data') return this.writer.writePart(description, data);
    return this.writer.writePart(description, this.scanner.tap(description, data));
  }

  async report(transformed: Parameters<typeof transformedColumns>[0]): Promise<ResidualScanReport> {
    this.excluded = transformedColumns(transformed);
    return this.scanner.report('sampled');
  }
}

function refuseFindings(scan: ResidualScanReport): void {
  if (scan.findings.length === 0) return;
  throw new ReplibyteError(
    `residual scan: personal-looking values remain in the dump, so it was not stored:\n${scan.findings.map((f) => `  ${describeFinding(f)}`).join('\n')}`,
    'transform those columns (or declare them safe), then run dump create again',
  );
}
