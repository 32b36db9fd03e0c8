import type { Manifest, ManifestPart } from '../dump/manifest.js';
import type { Reporter } from '../reporting/reporter.js';

/** Streams one part's raw bytes (decrypted, decompressed, verified). */
export type PartReader = (part: ManifestPart) => AsyncIterable<Buffer>;

export interface RestoreSummary {
  tables: number;
  rows: number;
  /** What the destination holds now that the restore is over, in one line. */
  outcome: string;
}

export interface RestoreTarget {
  /**
   * True when the whole restore, the wipe included, runs in one transaction, so damage found while
   * reading rolls everything back. A target that commits as it goes (PostgreSQL with --jobs > 1, MySQL,
   * MongoDB) gets every chunk checked before it is called.
   */
  readonly atomic: boolean;
  /** `signal` interrupts the restore (Ctrl-C): it stops as soon as it can, and its error says what it left. */
  restore(manifest: Manifest, readPart: PartReader, reporter: Reporter, signal?: AbortSignal): Promise<RestoreSummary>;
}
