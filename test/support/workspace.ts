import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../src/config/load.js';

/** A temporary directory for one test: a local-disk datastore and config files live here. */
export interface Workspace {
  dir: string;
  storeDir: string;
  writeConfig(yaml: string): Promise<string>;
  config(yaml: string, env?: NodeJS.ProcessEnv): Config;
  remove(): Promise<void>;
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'replibyte-test-'));
  const storeDir = join(dir, 'store');
  await (await import('node:fs/promises')).mkdir(storeDir);
  return {
    dir,
    storeDir,
    async writeConfig(yaml) {
      const path = join(dir, 'conf.yaml');
      await writeFile(path, yaml);
      return path;
    },
    config: (yaml, env = process.env) => parseConfig(yaml, 'conf.yaml', env),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
