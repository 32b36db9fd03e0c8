import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplibyteError } from '../../errors.js';
import { redactUri } from '../../engines/uri-schemes.js';
import { DamagedObjectError, readBoundedStream, SMALL_OBJECT_MAX_BYTES, tooLarge } from '../../small-object.js';
import type { Datastore, StoredObject } from '../datastore.js';
import { checkKey, checkPrefix } from '../keys.js';
import { classifyS3Error, translateS3Error, type S3ErrorPlace } from './s3-errors.js';

/** S3's smallest part (except the last); lib-storage buffers `partSize × queueSize` bytes at most. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 3;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
/** S3's DeleteObjects limit. */
const DELETE_BATCH = 1000;
/** Waits between attempts to clean up after a failed upload: the store may just be coming back. */
const CLEANUP_DELAYS_MS = [0, 500, 1_000, 2_000, 4_000];
/**
 * The whole clean-up after a failed upload (every attempt, its retries and waits) stops after this: a
 * store that is gone for good must not hold the failing command for long. What is left (an open upload)
 * is cleared by the next `dump create` or `dump delete` of the same name.
 */
export const CLEANUP_BUDGET_MS = 20_000;

export interface S3DatastoreOptions {
  bucket: string;
  /** Key prefix shared by every object ("team-a" or "team-a/"); empty for the bucket root. */
  prefix?: string;
  region?: string;
  /** `https://…` for S3-compatible stores (MinIO, R2, Ceph, GCS); path-style addressing is then used. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A profile of ~/.aws/config for the default credential chain. */
  profile?: string;
  /** Attempts per request in the SDK's standard retry mode (throttling, 5xx, network). Default: AWS_MAX_ATTEMPTS or 3. */
  maxAttempts?: number;
  /** Milliseconds a request may stay silent before it is abandoned (and retried). Default 120 s. */
  requestTimeoutMs?: number;
  /** Milliseconds to open a connection before the attempt fails (and is retried). Default 10 s. */
  connectionTimeoutMs?: number;
  partSize?: number;
  queueSize?: number;
  /** Where the credentials come from in the config, for messages. */
  credentialsKey?: string;
  /** GCS's XML API has no multi-object delete: delete keys one by one. */
  singleDeletes?: boolean;
  /** `s3` or `gs`: the scheme of `description`. */
  scheme?: 's3' | 'gs';
}

/**
 * An S3 bucket (or any S3-compatible store). The bucket must exist: it is checked on open and never
 * created. Objects stream both ways; uploads are multipart with bounded memory, and a failed upload is
 * aborted so no invisible parts are billed for.
 */
export class S3Datastore implements Datastore {
  readonly description: string;
  private readonly place: S3ErrorPlace;
  private readonly root: string;

  private constructor(
    private readonly client: S3Client,
    private readonly options: S3DatastoreOptions,
  ) {
    this.root = normalizePrefix(options.prefix);
    this.description = `${options.scheme ?? 's3'}://${options.bucket}/${this.root}`.replace(/\/$/, '');
    this.place = {
      description: this.description,
      bucket: options.bucket,
      endpoint: publicEndpoint(options.endpoint),
      credentialsKey: options.credentialsKey ?? 'datastore.aws.credentials',
    };
  }

  static async open(options: S3DatastoreOptions): Promise<S3Datastore> {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (partSize < MIN_PART_SIZE) throw new ReplibyteError(`S3 part size must be at least 5 MiB, not ${partSize} bytes`);
    const config: S3ClientConfig = {
      retryMode: 'standard',
      // Stores that are not AWS (GCS, older MinIO and Ceph) refuse the CRC32 trailers newer SDKs add by default.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without these the SDK waits forever on a store that accepted the connection and went silent.
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.region !== undefined && { region: options.region }),
      ...(options.region === undefined && options.endpoint !== undefined && { region: 'us-east-1' }),
      ...(options.endpoint !== undefined && { endpoint: options.endpoint, forcePathStyle: true }),
      ...(options.credentials && { credentials: options.credentials }),
      ...(options.profile !== undefined && { profile: options.profile }),
    };
    // The SDK warns on stderr about its own future Node support; the CLI's stderr carries one-line errors.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    let client: S3Client;
    try {
      client = new S3Client(config);
    } catch (error) {
      throw new ReplibyteError(`s3://${options.bucket}: cannot configure the S3 client: ${(error as Error).message}`);
    }
    const datastore = new S3Datastore(client, { ...options, partSize });
    try {
      await datastore.checkBucket();
    } catch (error) {
      client.destroy();
      throw error;
    }
    return datastore;
  }

  /** HeadBucket: a missing bucket or wrong credentials are reported before any work starts. */
  private async checkBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === 'NotFound') throw this.fail({ name: 'NoSuchBucket' }, 'open the bucket');
      if ((error as Error).message === 'Region is missing') {
        throw new ReplibyteError(`${this.description}: no region`, 'set datastore.aws.region (or AWS_REGION)');
      }
      throw this.fail(error, 'open the bucket');
    }
  }

  /** Every method goes through here (or `prefixOf`): a key that could leave the prefix is refused. */
  private keyOf(key: string): string {
    return this.root + checkKey(key, this.description);
  }

  private prefixOf(prefix: string): string {
    return this.root + checkPrefix(prefix, this.description);
  }

  private fail(error: unknown, action: string): ReplibyteError {
    return translateS3Error(error, this.place, action);
  }

  async put(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.keyOf(key), Body: body },
      partSize: this.options.partSize ?? DEFAULT_PART_SIZE,
      queueSize: this.options.queueSize ?? DEFAULT_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      await upload.abort();
      // lib-storage already sent AbortMultipartUpload; if the store was unreachable then, try again, for
      // a bounded time. The upload's own error is the one reported.
      const signal = AbortSignal.timeout(CLEANUP_BUDGET_MS);
      await this.abortIncompleteUploads(this.keyOf(key), { patient: true, signal }).catch(() => undefined);
      throw this.fail(error, `store ${key}`);
    }
  }

  async putAtomic(key: string, body: Buffer): Promise<void> {
    // A single PUT is atomic on S3: readers see the old object or the whole new one.
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key), Body: body, ContentLength: body.length }));
    } catch (error) {
      throw this.fail(error, `store ${key}`);
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
      return response.Body as Readable;
    } catch (error) {
      if (classifyS3Error(error).failure === 'missing-key') throw new ReplibyteError(`${this.description}: ${key} is missing`);
      throw this.fail(error, `read ${key}`);
    }
  }

  async getSmall(key: string, maxBytes = SMALL_OBJECT_MAX_BYTES): Promise<Buffer | undefined> {
    const label = `${this.description}: ${key}`;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
      const body = response.Body as Readable;
      // The size the store announces is checked before a byte of the body is read; the read is bounded
      // all the same, for a store that announces none (or lies).
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        body.destroy();
        throw new DamagedObjectError(label, tooLarge(response.ContentLength, maxBytes));
      }
      return await readBoundedStream(body, maxBytes, label);
    } catch (error) {
      if (error instanceof DamagedObjectError) throw error;
      if (classifyS3Error(error).failure === 'missing-key') return undefined;
      throw this.fail(error, `read ${key}`);
    }
  }

  /** Every key under `prefix`, all pages (the original stopped at the first 1,000 keys). */
  async *list(prefix: string): AsyncIterable<string> {
    for await (const object of this.listAbsolute(this.prefixOf(prefix))) yield object.key.slice(this.root.length);
  }

  async *listDetailed(prefix: string): AsyncIterable<StoredObject> {
    for await (const object of this.listAbsolute(this.prefixOf(prefix))) yield { ...object, key: object.key.slice(this.root.length) };
  }

  private async *listAbsolute(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }),
          { ...(signal && { abortSignal: signal }) },
        );
      } catch (error) {
        throw this.fail(error, `list ${prefix || 'the bucket'}`);
      }
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async listTopLevel(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.root, Delimiter: '/', ...(token && { ContinuationToken: token }) }),
        );
      } catch (error) {
        throw this.fail(error, 'list dumps');
      }
      for (const common of page.CommonPrefixes ?? []) {
        const name = common.Prefix?.slice(this.root.length).replace(/\/$/, '');
        if (name) names.push(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names;
  }

  async listTopLevelOpenUploads(): Promise<string[]> {
    const names = new Set<string>();
    try {
      for await (const upload of this.openUploads(this.root)) {
        const name = upload.key.slice(this.root.length).split('/')[0];
        if (name && upload.key.length > this.root.length + name.length) names.add(name);
      }
    } catch (error) {
      // A store without the API, or a policy without s3:ListBucketMultipartUploads: it cannot say.
      const { failure, code } = classifyS3Error(error);
      if (code === 'NotImplemented' || failure === 'access-denied') return [];
      throw this.fail(error, 'list incomplete uploads');
    }
    return [...names];
  }

  private async *openUploads(prefix: string, signal?: AbortSignal): AsyncIterable<{ key: string; uploadId: string }> {
    const sendOptions = { ...(signal && { abortSignal: signal }) };
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(keyMarker && { KeyMarker: keyMarker }),
          ...(uploadIdMarker && { UploadIdMarker: uploadIdMarker }),
        }),
        sendOptions,
      );
      for (const upload of page.Uploads ?? []) if (upload.Key && upload.UploadId) yield { key: upload.Key, uploadId: upload.UploadId };
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  /** Deletes every object under `prefix`, and aborts the multipart uploads still open there. */
  async deletePrefix(prefix: string, options: { signal?: AbortSignal; except?: string } = {}): Promise<void> {
    if (prefix === '') throw new ReplibyteError(`${this.description}: refused to delete the whole datastore`);
    const absolute = this.prefixOf(prefix);
    const { signal } = options;
    const kept = options.except === undefined ? undefined : this.prefixOf(options.except);
    let batch: string[] = [];
    for await (const { key } of this.listAbsolute(absolute, signal)) {
      if (kept !== undefined && key.startsWith(kept)) continue;
      batch.push(key);
      if (batch.length === DELETE_BATCH) {
        await this.deleteKeys(batch, signal);
        batch = [];
      }
    }
    if (batch.length > 0) await this.deleteKeys(batch, signal);
    await this.abortIncompleteUploads(absolute, { patient: false, ...(signal && { signal }) });
  }

  private async deleteKeys(keys: string[], signal?: AbortSignal): Promise<void> {
    const sendOptions = { ...(signal && { abortSignal: signal }) };
    try {
      if (this.options.singleDeletes) {
        for (const key of keys) await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }), sendOptions);
        return;
      }
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
        sendOptions,
      );
      const [first] = result.Errors ?? [];
      if (first) throw { name: first.Code ?? 'DeleteFailed', message: `${first.Key}: ${first.Message ?? ''}` };
    } catch (error) {
      throw this.fail(error, `delete ${keys.length} object(s) under ${this.description}`);
    }
  }

  /**
   * Aborts the multipart uploads open under `prefix`. With `patient`, retries for a few seconds: it runs
   * after a failed upload, when the store may be restarting. Best effort where the store or the policy
   * does not allow listing uploads. `signal` stops it (a pending request included).
   */
  private async abortIncompleteUploads(prefix: string, { patient, signal }: { patient: boolean; signal?: AbortSignal }): Promise<void> {
    const delays = patient ? CLEANUP_DELAYS_MS : [0];
    let lastError: unknown;
    for (const delay of delays) {
      if (delay > 0) await sleep(delay, undefined, { ...(signal && { signal }) });
      try {
        await this.abortIncompleteUploadsOnce(prefix, signal);
        return;
      } catch (error) {
        const { failure, code } = classifyS3Error(error);
        // A store without the API, or a policy without s3:ListBucketMultipartUploads: nothing to do here
        // (a lifecycle rule is then the only cleanup). Waiting would not change either answer.
        if (code === 'NotImplemented' || failure === 'access-denied') return;
        if (failure === 'missing-bucket' || signal?.aborted) throw this.fail(error, `abort incomplete uploads under ${prefix}`);
        lastError = error;
      }
    }
    throw this.fail(lastError, `abort incomplete uploads under ${prefix}`);
  }

  private async abortIncompleteUploadsOnce(prefix: string, signal?: AbortSignal): Promise<void> {
    const sendOptions = { ...(signal && { abortSignal: signal }) };
    for await (const upload of this.openUploads(prefix, signal)) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: upload.key, UploadId: upload.uploadId }), sendOptions);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
    } catch (error) {
      if (classifyS3Error(error).failure === 'missing-key') return;
      throw this.fail(error, `delete ${key}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** `team-a`, `/team-a/` → `team-a/`; empty stays empty. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

/** The endpoint without user info or secret parameters, for messages. */
function publicEndpoint(endpoint: string | undefined): string {
  if (!endpoint) return 'the AWS endpoint';
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return redactUri(url.toString().replace(/\/$/, ''));
  } catch {
    return 'the configured endpoint';
  }
}
