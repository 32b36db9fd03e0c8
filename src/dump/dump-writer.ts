import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompressionCodec } from '../config/load.js';
import type { Datastore } from '../datastores/datastore.js';
import { ReplibyteError } from '../errors.js';
import type { ProgressListener } from '../reporting/progress.js';
import { TOOL_NAME } from '../version.js';
import { ChunkDigest, countNewlines } from './chunk-streams.js';
import { compressStream } from './compression.js';
import { BsonDocumentCounter } from '../encode/bson-documents.js';
import { LargeObjectCounter } from '../encode/large-objects.js';
import type { ChunkCipher } from './encryption.js';
import { manifestSigningBytes } from './encryption/canonical-json.js';
import { findLegacyEntry } from './legacy/legacy-index.js';
import { claimsPrefix, NameClaim } from './name-claim.js';
import {
  checkDumpName,
  chunkKey,
  MANIFEST_FORMAT,
  MANIFEST_KEY,
  MANIFEST_MAX_BYTES,
  manifestExists,
  MANIFEST_VERSION,
  MANIFEST_VERSION_LARGE_OBJECTS,
  type Manifest,
  type ManifestChunk,
  type ManifestPart,
  type PartDescription,
} from './manifest.js';

export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

export interface DumpWriterOptions {
  name: string;
  compression: CompressionCodec;
  cipher?: ChunkCipher;
  chunkSize?: number;
  /** Told of each table part's rows and bytes as they stream (progress display). */
  progress?: ProgressListener;
}

export type ManifestMetadata = Pick<Manifest, 'engine' | 'source' | 'schemas' | 'transformed' | 'provenance'>;

/**
 * Writes one dump in the order docs/format.md demands: chunks first, the manifest last. Until
 * `commit` has written the manifest, the dump does not exist for any reader; `abort` removes its chunks.
 * The name is claimed (src/dump/name-claim.ts) from `begin` to `commit`: a second run under the same
 * name fails at `begin`, and deletes nothing.
 */
export class DumpWriter {
  readonly id = randomBytes(16).toString('hex');
  readonly createdAt = new Date();
  /** One slot per writePart call, in call order: concurrent parts land in the order they were asked for. */
  private readonly parts: Array<ManifestPart | undefined> = [];
  /** Chunks being stored: `abort` waits for each to settle before it deletes, so none lands after it. */
  private readonly inFlight = new Set<OpenChunk>();
  private aborted = false;
  private nextSequence = 1;
  private readonly chunkSize: number;

  private constructor(
    private readonly datastore: Datastore,
    private readonly options: DumpWriterOptions,
    private readonly claim: NameClaim,
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  get name(): string {
    return this.options.name;
  }

  /**
   * Claims the name: refuses one that holds a committed dump or that another run is writing, then
   * clears what a dead run left under it. Writing the claim is the first write of the run: a datastore
   * that cannot be written fails here, before a source is opened.
   */
  static async begin(datastore: Datastore, options: DumpWriterOptions): Promise<DumpWriter> {
    checkDumpName(options.name);
    await refuseExisting(datastore, options.name);
    const { claim, stale } = await NameClaim.acquire(datastore, options.name);
    try {
      // Checked again now that the name is ours: a run that committed just before we claimed it.
      await refuseExisting(datastore, options.name);
      await clearUnclaimed(datastore, options.name);
      for (const dead of stale) await datastore.delete(dead.key);
    } catch (error) {
      await claim.release().catch(() => undefined);
      throw error;
    }
    return new DumpWriter(datastore, options, claim);
  }

  /**
   * Streams one part into chunks. Table data is counted in rows (one newline per COPY row).
   * Safe to call concurrently (a parallel dump): the part's place in the manifest is reserved now, in
   * call order, whatever order the parts finish in; chunk keys stay unique (sequences are taken as
   * chunks open, so one part's chunks need not be consecutive numbers: the manifest lists them).
   */
  async writePart(description: PartDescription, data: AsyncIterable<Buffer> | Readable): Promise<ManifestPart> {
    const slot = this.parts.push(undefined) - 1;
    const countRows = description.kind === 'table-data' || description.kind === 'large-objects';
    // BSON documents are counted by their length prefixes, large objects by their records; COPY rows by their newlines.
    const documents =
      description.encoding === 'bson-documents' ? new BsonDocumentCounter() : description.encoding === 'pg-large-objects' ? new LargeObjectCounter() : undefined;
    const chunks: ManifestChunk[] = [];
    let rows = 0;
    let rawBytes = 0;
    let open: OpenChunk | undefined;
    try {
      for await (const piece of data as AsyncIterable<Buffer>) {
        if (piece.length === 0) continue;
        open ??= this.openChunk();
        if (countRows) rows += documents ? documents.push(piece) : countNewlines(piece);
        rawBytes += piece.length;
        if (description.kind === 'table-data') this.options.progress?.({ type: 'table-progress', table: description.label, rows, bytes: rawBytes });
        await open.write(piece);
        if (open.rawBytes >= this.chunkSize) {
          chunks.push(await open.finish());
          open = undefined;
        }
      }
      if (open) chunks.push(await open.finish());
      if (documents instanceof LargeObjectCounter) documents.finish();
    } catch (error) {
      open?.destroy(error as Error);
      throw error;
    }
    const part: ManifestPart = { ...description, rawBytes, chunks, ...(countRows && { rows }) };
    if (description.kind === 'table-data') {
      const storedBytes = chunks.reduce((sum, chunk) => sum + chunk.storedBytes, 0);
      this.options.progress?.({ type: 'table-end', table: description.label, rows, bytes: rawBytes, storedBytes });
    }
    this.parts[slot] = part;
    return part;
  }

  private openChunk(): OpenChunk {
    if (this.aborted) throw new ReplibyteError(`dump ${this.name} was aborted`);
    const sequence = this.nextSequence++;
    const key = chunkKey(this.name, sequence);
    const cipher = this.options.cipher;
    const stages = [compressStream(this.options.compression)];
    if (cipher) stages.push(cipher.encryptStream({ dumpId: this.id, sequence }));
    const chunk = new OpenChunk(this.datastore, key, stages);
    this.inFlight.add(chunk);
    void chunk.settled.then(() => this.inFlight.delete(chunk));
    return chunk;
  }

  /** Writes the manifest: the dump exists from this moment on. */
  async commit(metadata: ManifestMetadata): Promise<Manifest> {
    if (this.parts.some((part) => part === undefined)) throw new ReplibyteError('internal error: the dump was committed while a part was still being written');
    const parts = this.parts as ManifestPart[];
    const totals = { rows: 0, rawBytes: 0, storedBytes: 0, chunks: 0 };
    for (const part of parts) {
      if (part.kind !== 'large-objects') totals.rows += part.rows ?? 0; // rows of tables, not objects
      totals.rawBytes += part.rawBytes;
      totals.chunks += part.chunks.length;
      for (const chunk of part.chunks) totals.storedBytes += chunk.storedBytes;
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: parts.some((part) => part.kind === 'large-objects') ? MANIFEST_VERSION_LARGE_OBJECTS : MANIFEST_VERSION,
      name: this.name,
      id: this.id,
      createdAt: this.createdAt.toISOString(),
      finishedAt: new Date().toISOString(),
      tool: TOOL_NAME,
      compression: this.options.compression,
      encryption: this.options.cipher ? { ...this.options.cipher.descriptor } : null,
      ...metadata,
      parts,
      totals,
    };
    if (this.options.cipher) {
      // The tag covers canonical bytes (sorted keys), so a reader recomputes them from the parsed JSON.
      manifest.encryption = { ...manifest.encryption, manifestTag: this.options.cipher.sealManifest(manifestSigningBytes(manifest)) };
    }
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    // A manifest readers would refuse (docs/format.md) is not written: the dump would be unreadable.
    if (bytes.length > MANIFEST_MAX_BYTES) {
      throw new ReplibyteError(`dump ${this.name}: its manifest would be ${bytes.length} bytes, more than the ${MANIFEST_MAX_BYTES} readers accept`, 'use larger chunks (fewer of them)');
    }
    await this.claim.confirm();
    await this.datastore.putAtomic(`${this.name}/${MANIFEST_KEY}`, bytes);
    // The manifest now guards the name; a claim left behind by a failed delete is ignored next to it.
    await this.claim.release().catch(() => undefined);
    return manifest;
  }

  /**
   * Removes whatever this dump wrote, then its claim. Chunks still being stored (parts of a parallel
   * dump that had not failed yet) are broken off and waited for first: deleting while one is still
   * being written would leave that one behind. Best effort: a failure here must not hide the original
   * error. A run that lost its claim deletes nothing: the name may be another run's now.
   */
  async abort(): Promise<void> {
    this.aborted = true;
    const error = new ReplibyteError(`dump ${this.name} was aborted`);
    for (const chunk of this.inFlight) chunk.destroy(error);
    await Promise.allSettled([...this.inFlight].map((chunk) => chunk.settled));
    this.claim.stopHeartbeat();
    if (this.claim.lost) return;
    try {
      await clearUnclaimed(this.datastore, this.name);
      await this.claim.release();
    } catch {
      // What is left is cleared by the next run of the name, or by `dump delete NAME`.
    }
  }
}

async function refuseExisting(datastore: Datastore, name: string): Promise<void> {
  if (await manifestExists(datastore, name)) {
    throw new ReplibyteError(`a dump named ${name} already exists in ${datastore.description}`, 'choose another --name or delete it first');
  }
  // Clearing leftovers must never remove a dump the original Replibyte wrote under this name.
  if (await findLegacyEntry(datastore, name)) {
    throw new ReplibyteError(`a dump named ${name} (original Replibyte format) already exists in ${datastore.description}`, 'choose another --name or delete it first');
  }
}

/** Everything under a name but the claims (the owner's, and any rival's that is busy withdrawing). */
async function clearUnclaimed(datastore: Datastore, name: string): Promise<void> {
  await datastore.deletePrefix(`${name}/`, { except: claimsPrefix(name) });
}


/** One chunk being written: raw bytes in, compressed (and sealed) bytes streamed to the datastore. */
class OpenChunk {
  rawBytes = 0;
  private readonly input = new PassThrough({ highWaterMark: 256 * 1024 });
  private readonly digest = new ChunkDigest();
  private readonly done: Promise<unknown>;
  /** Resolves once the store has finished with the chunk, stored or not (never rejects). */
  readonly settled: Promise<void>;

  constructor(
    datastore: Datastore,
    private readonly key: string,
    stages: NodeJS.ReadWriteStream[],
  ) {
    const stored = new PassThrough({ highWaterMark: 256 * 1024 });
    const encoding = pipeline([this.input, ...stages, this.digest, stored] as never);
    encoding.catch(() => undefined);
    const storing = datastore.put(key, stored).catch((error: Error) => {
      this.input.destroy(error);
      throw error;
    });
    storing.catch(() => undefined);
    this.done = settleChunk(encoding, storing);
    this.done.catch(() => undefined);
    this.settled = Promise.allSettled([this.done, storing]).then(() => undefined);
  }

  async write(piece: Buffer): Promise<void> {
    this.rawBytes += piece.length;
    // A broken input stream is only a symptom: `done` says why (the datastore's error first).
    if (!this.input.write(piece)) await Promise.race([once(this.input, 'drain').catch(() => this.done), this.done]);
  }

  async finish(): Promise<ManifestChunk> {
    this.input.end();
    await this.done;
    return {
      key: this.key.slice(this.key.lastIndexOf('/') + 1),
      rawBytes: this.rawBytes,
      storedBytes: this.digest.bytes,
      sha256: this.digest.sha256,
    };
  }

  destroy(error: Error): void {
    this.input.destroy(error);
  }
}

/**
 * Both halves of a chunk. When a store fails, its upload stops reading and breaks the stream it was
 * reading ("The operation was aborted", "Premature close") before `put` has finished its clean-up and
 * rejected with the reason: that reason is the error, not the broken stream. `put` always settles once
 * its body is broken, so waiting for it is bounded. A real encoding error (a cipher, zstd) stays first.
 */
async function settleChunk(encoding: Promise<unknown>, storing: Promise<unknown>): Promise<void> {
  try {
    await encoding;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ABORT_ERR' || code === 'ERR_STREAM_PREMATURE_CLOSE') await storing;
    // A file stream that failed (ENOSPC) breaks the encoding with its raw error; the datastore's own
    // account of it (which names the store) is the one to report.
    if (error instanceof Error && !(error instanceof ReplibyteError) && code !== undefined && /^E[A-Z]+$/.test(code)) {
      await storing.catch((stored: unknown) => {
        if (stored instanceof ReplibyteError) throw stored;
      });
    }
    throw error;
  }
  await storing;
}
