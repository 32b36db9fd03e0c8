import type { Readable } from 'node:stream';

/** A key and when its object was last written (by the store's clock). */
export interface StoredObject {
  key: string;
  modifiedAt: Date;
}

/**
 * A flat object store, the only thing the dump format needs from storage. Keys use `/`.
 * Implementations stream both ways: nothing here may buffer a whole object in memory.
 * Every method checks the keys it is given (src/datastores/keys.ts: no `.`/`..` segment, no separator
 * inside a segment, no NUL, bounded length) and refuses one that could leave the store, whoever calls.
 */
export interface Datastore {
  /** Where the dumps live, for messages ("local disk /var/dumps", "s3://bucket/prefix"). Never a secret. */
  readonly description: string;
  /** Stores `body` under `key`; resolves once the object is durable. Rejects, storing nothing, on failure. */
  put(key: string, body: Readable): Promise<void>;
  /** Stores `body` under `key` atomically: readers see the old object or the whole new one. */
  putAtomic(key: string, body: Buffer): Promise<void>;
  /** Streams an object; rejects with a ReplibyteError naming the key if it does not exist. */
  get(key: string): Promise<Readable>;
  /**
   * The whole object, for small ones (manifests, the legacy index); undefined when it does not exist.
   * One larger than `maxBytes` (default SMALL_OBJECT_MAX_BYTES), or that is not a file, is refused with a
   * DamagedObjectError (src/small-object.ts) before it is read: memory stays bounded whatever was planted.
   */
  getSmall(key: string, maxBytes?: number): Promise<Buffer | undefined>;
  /** Every key under `prefix` (which ends with `/` or is empty), in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** `list`, with each object's last-modified time. */
  listDetailed(prefix: string): AsyncIterable<StoredObject>;
  /** The first-level "directories" directly under the root (dump names). */
  listTopLevel(): Promise<string[]>;
  /**
   * First-level names under which an upload was begun and never completed nor aborted (S3 multipart
   * uploads a killed process left open: invisible to `list`, billed all the same). Empty where there is
   * no such thing, or where the store does not say.
   */
  listTopLevelOpenUploads(): Promise<string[]>;
  /**
   * Deletes every key under `prefix` (never empty: nothing deletes a whole store), and aborts the
   * uploads left open there; absent keys are not an error. `signal` abandons it (a clean-up that must
   * not outlast its budget); what is left is deleted by the next call. `except`, a folder directly
   * under `prefix` (`name/claims/`), is left alone.
   */
  deletePrefix(prefix: string, options?: { signal?: AbortSignal; except?: string }): Promise<void>;
  /** Deletes one key; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
