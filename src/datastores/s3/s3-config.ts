import type { AwsDatastoreConfig, GcpDatastoreConfig } from '../../config/schema.js';
import type { S3DatastoreOptions } from './s3-datastore.js';

/** GCS's S3-compatible (XML) API, reached with HMAC keys. */
export const GCS_ENDPOINT = 'https://storage.googleapis.com';

/** `endpoint: default` (or none) is AWS itself; `{custom: url}` any S3-compatible store. */
function customEndpoint(endpoint: AwsDatastoreConfig['endpoint']): string | undefined {
  return endpoint && endpoint !== 'default' ? endpoint.custom : undefined;
}

/**
 * Tuning that has no key in conf.yaml (the original's schema): AWS_MAX_ATTEMPTS and AWS_RETRY_MODE are
 * read by the SDK itself; REPLIBYTE_S3_TIMEOUT_MS bounds how long a request may stay silent,
 * REPLIBYTE_S3_CONNECT_TIMEOUT_MS how long opening a connection may take.
 */
function tuning(env: NodeJS.ProcessEnv): Pick<S3DatastoreOptions, 'requestTimeoutMs' | 'connectionTimeoutMs'> {
  const milliseconds = (value: string | undefined) => {
    const number = Number(value);
    return Number.isFinite(number) && number > 0 ? number : undefined;
  };
  const requestTimeoutMs = milliseconds(env.REPLIBYTE_S3_TIMEOUT_MS);
  const connectionTimeoutMs = milliseconds(env.REPLIBYTE_S3_CONNECT_TIMEOUT_MS);
  return { ...(requestTimeoutMs && { requestTimeoutMs }), ...(connectionTimeoutMs && { connectionTimeoutMs }) };
}

/** `datastore.aws` → options. Without `credentials`, the SDK's default chain (environment, profile, instance role). */
export function awsOptions(config: AwsDatastoreConfig, env: NodeJS.ProcessEnv = process.env): S3DatastoreOptions {
  const endpoint = customEndpoint(config.endpoint);
  const credentials = config.credentials && {
    accessKeyId: config.credentials.access_key_id,
    secretAccessKey: config.credentials.secret_access_key,
    ...(config.credentials.session_token && { sessionToken: config.credentials.session_token }),
  };
  return {
    bucket: config.bucket,
    ...(config.prefix !== undefined && { prefix: config.prefix }),
    ...(config.region !== undefined && { region: config.region }),
    ...(endpoint !== undefined && { endpoint }),
    ...(credentials && { credentials }),
    ...(config.profile !== undefined && { profile: config.profile }),
    credentialsKey: 'datastore.aws.credentials',
    ...tuning(env),
  };
}

/** `datastore.gcp` → options: the same client against storage.googleapis.com with HMAC keys. */
export function gcpOptions(config: GcpDatastoreConfig, env: NodeJS.ProcessEnv = process.env): S3DatastoreOptions {
  return {
    bucket: config.bucket,
    ...(config.prefix !== undefined && { prefix: config.prefix }),
    region: config.region,
    endpoint: customEndpoint(config.endpoint) ?? GCS_ENDPOINT,
    credentials: { accessKeyId: config.access_key, secretAccessKey: config.secret },
    credentialsKey: 'datastore.gcp.access_key/secret',
    singleDeletes: true,
    scheme: 'gs',
    ...tuning(env),
  };
}
