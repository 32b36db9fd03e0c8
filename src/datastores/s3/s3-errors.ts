import { ReplibyteError } from '../../errors.js';

/** What an S3 error means to a user, whatever the store (AWS, MinIO, R2, GCS) called it. */
export type S3Failure = 'missing-bucket' | 'missing-key' | 'access-denied' | 'unreachable' | 'timeout' | 'no-credentials' | 'other';

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'InvalidClientTokenId',
  'AuthorizationHeaderMalformed',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyS3Error(error: unknown): { failure: S3Failure; code: string } {
  const shape = (error ?? {}) as SdkErrorShape;
  const code = shape.Code ?? shape.name ?? shape.code ?? 'Error';
  const status = shape.$metadata?.httpStatusCode;
  if (code === 'NoSuchBucket') return { failure: 'missing-bucket', code };
  if (code === 'NoSuchKey') return { failure: 'missing-key', code };
  if (ACCESS_DENIED.has(code) || status === 403) return { failure: 'access-denied', code };
  if (code === 'TimeoutError' || shape.code === 'ETIMEDOUT' || code === 'RequestTimeout') return { failure: 'timeout', code };
  if (NETWORK.has(shape.code ?? '') || NETWORK.has(code)) return { failure: 'unreachable', code: shape.code ?? code };
  if (code === 'CredentialsProviderError') return { failure: 'no-credentials', code };
  return { failure: 'other', code };
}

export interface S3ErrorPlace {
  /** `s3://bucket/prefix` */
  description: string;
  bucket: string;
  /** Where requests go, for "cannot reach" messages (never carries credentials). */
  endpoint: string;
  /** The config key the credentials come from (`datastore.aws.credentials`, `datastore.gcp`). */
  credentialsKey: string;
}

/** One clear line for an SDK error: what failed, where, and what to check. Never a secret. */
export function translateS3Error(error: unknown, place: S3ErrorPlace, action: string): ReplibyteError {
  if (error instanceof ReplibyteError) return error;
  const { failure, code } = classifyS3Error(error);
  const detail = (error as SdkErrorShape)?.message ?? String(error);
  switch (failure) {
    case 'missing-bucket':
      return new ReplibyteError(
        `${place.description}: bucket ${place.bucket} does not exist`,
        'create the bucket first: replibyte never creates one',
      );
    case 'missing-key':
      return new ReplibyteError(`${place.description}: ${action}: the object does not exist`);
    case 'access-denied':
      return new ReplibyteError(
        `${place.description}: access denied while trying to ${action} (${code})`,
        `check ${place.credentialsKey} (access key and secret) and the bucket's policy`,
      );
    case 'timeout':
      return new ReplibyteError(`${place.description}: ${action}: the store did not answer in time (${code}) at ${place.endpoint}`);
    case 'unreachable':
      return new ReplibyteError(`${place.description}: cannot reach the store at ${place.endpoint} to ${action} (${code})`);
    case 'no-credentials':
      return new ReplibyteError(
        `${place.description}: no credentials found to ${action}`,
        `set ${place.credentialsKey}, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an instance role`,
      );
    default:
      return new ReplibyteError(`${place.description}: ${action} failed: ${code}: ${firstLine(detail)}`);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}
