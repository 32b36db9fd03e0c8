import type { Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import type { Datastore } from './datastore.js';
import { LocalDiskDatastore } from './local-disk/local-disk-datastore.js';
import { awsOptions, gcpOptions } from './s3/s3-config.js';
import { S3Datastore } from './s3/s3-datastore.js';

/** The datastore the config names. Opening one never creates a bucket or a directory. */
export async function openDatastore(config: Pick<Config, 'datastore'>): Promise<Datastore> {
  const { datastore } = config;
  if (datastore.local_disk) return LocalDiskDatastore.open(datastore.local_disk.dir);
  if (datastore.aws) return S3Datastore.open(awsOptions(datastore.aws));
  if (datastore.gcp) return S3Datastore.open(gcpOptions(datastore.gcp));
  throw new ReplibyteError('datastore: only local_disk is supported by this build');
}
