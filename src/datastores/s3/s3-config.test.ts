import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { awsOptions, gcpOptions, GCS_ENDPOINT } from './s3-config.js';
import { normalizePrefix } from './s3-datastore.js';
import { translateS3Error } from './s3-errors.js';

describe('S3 datastore config', () => {
  it('maps datastore.aws, with the custom endpoint and the session token', () => {
    const config = parseConfig(
      `datastore:
  aws:
    bucket: b
    region: eu-west-1
    prefix: team
    credentials: { access_key_id: AK, secret_access_key: SK, session_token: ST }
    endpoint: { custom: 'http://127.0.0.1:9000' }
`,
      'conf.yaml',
      {},
    );
    expect(awsOptions(config.datastore.aws!, { REPLIBYTE_S3_TIMEOUT_MS: '2500', REPLIBYTE_S3_CONNECT_TIMEOUT_MS: '700' })).toEqual({
      bucket: 'b',
      region: 'eu-west-1',
      prefix: 'team',
      endpoint: 'http://127.0.0.1:9000',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      credentialsKey: 'datastore.aws.credentials',
      requestTimeoutMs: 2500,
      connectionTimeoutMs: 700,
    });
  });

  it('leaves credentials to the default chain when they are left out, and `endpoint: default` to AWS', () => {
    const config = parseConfig('datastore:\n  aws:\n    bucket: b\n    endpoint: default\n', 'conf.yaml', {});
    expect(awsOptions(config.datastore.aws!, {})).toEqual({ bucket: 'b', credentialsKey: 'datastore.aws.credentials' });
    // Timeouts that are not positive numbers are ignored: the defaults (120 s silent, 10 s to connect) apply.
    expect(awsOptions(config.datastore.aws!, { REPLIBYTE_S3_TIMEOUT_MS: 'soon', REPLIBYTE_S3_CONNECT_TIMEOUT_MS: '0' })).toEqual({
      bucket: 'b',
      credentialsKey: 'datastore.aws.credentials',
    });
  });

  it('maps datastore.gcp to the GCS XML API with HMAC keys', () => {
    const config = parseConfig('datastore:\n  gcp: { bucket: g, region: europe-west1, access_key: HK, secret: HS }\n', 'conf.yaml', {});
    expect(gcpOptions(config.datastore.gcp!, {})).toMatchObject({
      bucket: 'g',
      endpoint: GCS_ENDPOINT,
      credentials: { accessKeyId: 'HK', secretAccessKey: 'HS' },
      singleDeletes: true,
      scheme: 'gs',
    });
  });

  it('normalizes prefixes', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('/')).toBe('');
    expect(normalizePrefix('/a/b/')).toBe('a/b/');
    expect(normalizePrefix('a')).toBe('a/');
  });

  it('turns SDK errors into one line that names the place, never the secret', () => {
    const place = { description: 's3://b/p', bucket: 'b', endpoint: 'http://h:1', credentialsKey: 'datastore.aws.credentials' };
    expect(translateS3Error({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, place, 'list dumps').message).toBe('s3://b/p: bucket b does not exist');
    expect(translateS3Error({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, place, 'list dumps').message).toBe(
      's3://b/p: access denied while trying to list dumps (InvalidAccessKeyId)',
    );
    expect(translateS3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), place, 'read x').message).toBe(
      's3://b/p: cannot reach the store at http://h:1 to read x (ECONNREFUSED)',
    );
    expect(translateS3Error({ name: 'InternalError', message: 'boom\nmore' }, place, 'read x').message).toBe('s3://b/p: read x failed: InternalError: boom');
  });
});
