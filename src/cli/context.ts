import { loadConfigFile, type Config } from '../config/load.js';
import { ReplibyteError } from '../errors.js';

export interface GlobalOptions {
  config?: string;
}

/** The config of `-c`, which every command but `transformer list` needs. */
export async function requireConfig(options: GlobalOptions): Promise<Config> {
  if (!options.config) throw new ReplibyteError('this command needs a config file: replibyte -c conf.yaml …');
  return loadConfigFile(options.config);
}
