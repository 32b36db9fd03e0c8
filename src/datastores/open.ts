import type { Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import type { Datastore } from './datastore.js';
import { LocalDiskDatastore } from './local-disk/local-disk-datastore.js';

/** The datastore the config names. Opening one never creates a bucket or a directory. */
export async function openDatastore(config: Pick<Config, 'datastore'>): Promise<Datastore> {
  const { datastore } = config;
  if (datastore.local_disk) return LocalDiskDatastore.open(datastore.local_disk.dir);
  // The AWS SDK takes most of a second to load: only commands that use a bucket pay for it.
  const { awsOptions, gcpOptions } = await import('./s3/s3-config.js');
  const { S3Datastore } = await import('./s3/s3-datastore.js');
  if (datastore.aws) return S3Datastore.open(awsOptions(datastore.aws));
  if (datastore.gcp) return S3Datastore.open(gcpOptions(datastore.gcp));
  throw new ReplibyteError('datastore: give one of local_disk, aws or gcp');
}
