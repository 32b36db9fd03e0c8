import { ReplibyteError } from '../errors.js';
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

/**
 * SQL the config runs in the destination around a restore (`destination.before_restore`,
 * `destination.after_restore`): an inline statement or a `.sql` file, already read.
 */
export interface RestoreHook {
  /** The config key it comes from: `destination.after_restore[1]`. */
  name: string;
  /** Where its text is written, for messages: the config file or the `.sql` file. */
  origin: string;
  /** The line of `origin` the text starts on. */
  line: number;
  sql: string;
}

export interface RestoreHooks {
  /** After the wipe (or the emptying of a --data-only restore), before the dump's first part. */
  before: readonly RestoreHook[];
  /** After the dump's last part, before the restore commits. */
  after: readonly RestoreHook[];
}

export const NO_HOOKS: RestoreHooks = { before: [], after: [] };

/** A failing hook fails the restore: the message names the hook and the line of the statement that failed. */
export function hookFailure(hook: RestoreHook, statementLine: number, statement: string, reason: string): ReplibyteError {
  const excerpt = statement.replace(/\s+/g, ' ').trim().slice(0, 160);
  return new ReplibyteError(`hook ${hook.name} failed at ${hook.origin}:${hook.line + statementLine - 1}: ${reason}${excerpt ? `: ${excerpt}` : ''}`);
}
