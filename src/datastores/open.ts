import type { Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';
import type { Datastore } from './datastore.js';
import { LocalDiskDatastore } from './local-disk/local-disk-datastore.js';

/** The datastore the config names. Opening one never creates a bucket or a directory. */
export async function openDatastore(config: Pick<Config, 'datastore'>): Promise<Datastore> {
  const { datastore } = config;
  if (datastore.local_disk) return LocalDiskDatastore.open(datastore.local_disk.dir);
  throw new ReplibyteError('datastore: only local_disk is supported by this build');
}
