import crypto from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's fixed test account: it checks the access key id (not V4 signatures). */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  parts: number;
}

export interface TestS3Server {
  endpoint: string;
  port: number;
  bucket: string;
  directory: string;
  /** A `datastore:` block for conf.yaml pointing at this server. */
  datastoreYaml(options?: { prefix?: string; bucket?: string; accessKey?: string; endpoint?: string }): string;
  /** Multipart uploads begun and neither completed nor aborted, read from s3rver's storage directory. */
  incompleteUploads(): Promise<IncompleteUpload[]>;
  /** Stops listening and cuts every open connection, as a crashed server would. */
  stop(): Promise<void>;
  /** Starts again on the same port and directory (the stored objects survive). */
  restart(): Promise<void>;
  /** Stops it (if running) and removes its directory. */
  remove(): Promise<void>;
}

/**
 * s3rver 3.7 seals ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node ≥ 17) no
 * longer offers: any listing longer than one page fails with InternalError. The tokens are opaque to
 * clients, so the test server seals them with AES-128-CBC instead (same key and IV, doubled).
 */
function patchContinuationTokenCipher(): void {
  const marker = Symbol.for('replibyte.s3rver-des-patch');
  const target = crypto as unknown as Record<PropertyKey, unknown>;
  if (target[marker]) return;
  target[marker] = true;
  const widen = (bytes: crypto.BinaryLike) => Buffer.concat([Buffer.from(bytes as Buffer), Buffer.from(bytes as Buffer)]);
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  target.createCipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, ...rest: unknown[]) =>
    algorithm === 'des'
      ? createCipheriv('aes-128-cbc', widen(key as Buffer), widen(iv!))
      : (createCipheriv as (...args: unknown[]) => crypto.Cipher)(algorithm, key, iv, ...rest);
  target.createDecipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, ...rest: unknown[]) =>
    algorithm === 'des'
      ? createDecipheriv('aes-128-cbc', widen(key as Buffer), widen(iv!))
      : (createDecipheriv as (...args: unknown[]) => crypto.Decipher)(algorithm, key, iv, ...rest);
}

/**
 * s3rver started in-process on 127.0.0.1 on a free port, with a temporary directory and one bucket.
 *
 * s3rver 3.7 implements multipart uploads but neither AbortMultipartUpload nor ListMultipartUploads
 * (it answers MethodNotAllowed / NotImplemented). A middleware here adds both, over s3rver's own
 * storage of incomplete uploads (`<bucket>/._S3rver_uploads/<id>/`), so the cleanup the datastore does
 * on real S3 can be observed. It skips signature checks for those two calls only.
 */
export async function startS3Server(bucket = 'dumps'): Promise<TestS3Server> {
  patchContinuationTokenCipher();
  const directory = await mkdtemp(join(tmpdir(), 'replibyte-s3-'));
  let port = 0;
  let server: S3rver | undefined;

  const uploadsDir = (name: string) => join(directory, name, '._S3rver_uploads');

  async function listUploads(name: string): Promise<IncompleteUpload[]> {
    const base = uploadsDir(name);
    const ids = await readdir(base).catch(() => [] as string[]);
    const uploads: IncompleteUpload[] = [];
    for (const uploadId of ids) {
      const key = await readFile(join(base, uploadId, 'key'), 'utf8').catch(() => undefined);
      if (key === undefined) continue;
      const files = await readdir(join(base, uploadId));
      uploads.push({ key, uploadId, parts: files.filter((file) => /^\d+\.md5$/.test(file)).length });
    }
    return uploads;
  }

  async function start(): Promise<void> {
    const instance = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      vhostBuckets: false,
      configureBuckets: [{ name: bucket }],
    });
    instance.middleware.unshift(async (ctx, next) => {
      const [name, ...rest] = ctx.path.split('/').filter(Boolean);
      if (!name) return next();
      if (ctx.method === 'GET' && rest.length === 0 && 'uploads' in ctx.query) {
        const prefix = ctx.query.prefix ?? '';
        const uploads = (await listUploads(name)).filter((upload) => upload.key.startsWith(prefix));
        const entries = uploads
          .map((upload) => `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${new Date().toISOString()}</Initiated></Upload>`)
          .join('');
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${name}</Bucket><IsTruncated>false</IsTruncated>${entries}</ListMultipartUploadsResult>`;
        return;
      }
      if (ctx.method === 'DELETE' && rest.length > 0 && ctx.query.uploadId) {
        const dir = join(uploadsDir(name), ctx.query.uploadId.replace(/[^0-9a-f]/g, ''));
        if (!(await stat(dir).catch(() => undefined))) {
          ctx.status = 404;
          ctx.type = 'application/xml';
          ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>';
          return;
        }
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        return;
      }
      return next();
    });
    const address = await instance.run();
    port = address.port;
    server = instance;
  }

  async function stop(): Promise<void> {
    const running = server;
    if (!running) return;
    server = undefined;
    // Stop accepting first, then cut what is open: close() alone would wait for every request to end.
    const closed = running.close();
    running.httpServer?.closeAllConnections();
    await closed;
  }

  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    bucket,
    directory,
    datastoreYaml(options = {}) {
      return `datastore:
  aws:
    bucket: ${options.bucket ?? bucket}
    region: us-east-1
${options.prefix !== undefined ? `    prefix: ${options.prefix}\n` : ''}    credentials:
      access_key_id: ${options.accessKey ?? S3_ACCESS_KEY}
      secret_access_key: ${S3_SECRET_KEY}
    endpoint:
      custom: ${options.endpoint ?? endpoint}
`;
    },
    incompleteUploads: () => listUploads(bucket),
    stop,
    restart: start,
    async remove() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
