import type { Config } from '../config/load.js';
import type { ManifestMetadata } from '../dump/dump-writer.js';
import type { ManifestPart, PartDescription } from '../dump/manifest.js';
import type { Reporter } from '../reporting/reporter.js';
import type { TransformerRegistry } from '../transformers/registry.js';

/** Where a source writes its parts: a DumpWriter, or anything that records parts the same way. */
export interface PartSink {
  writePart(description: PartDescription, data: AsyncIterable<Buffer>): Promise<ManifestPart>;
  /**
   * Told the transformed columns once the plan is made, before the first part (sources that know it up
   * front call it): `dump create --scan` then skips those columns as the rows pass instead of tallying
   * every column until the end.
   */
  planned?(transformed: ManifestMetadata['transformed']): void;
}

export interface DumpContext {
  config: Config;
  registry: TransformerRegistry;
  salt: Buffer;
  reporter: Reporter;
}

/** A database (or a script) that can write itself as the parts of a dump, in restore order. */
export interface DumpSource {
  dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata>;
  close(): Promise<void>;
}
