import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReplibyteError } from '../../errors.js';
import type { Datastore } from '../datastore.js';

/** A directory on local disk. The directory must exist (as in the original), so a typo is caught early. */
export class LocalDiskDatastore implements Datastore {
  readonly description: string;

  private constructor(private readonly root: string) {
    this.description = `local disk ${root}`;
  }

  static async open(dir: string): Promise<LocalDiskDatastore> {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new ReplibyteError(`datastore.local_disk.dir: directory ${dir} does not exist`, 'create it first (mkdir -p)');
    }
    return new LocalDiskDatastore(dir);
  }

  private pathOf(key: string): string {
    const path = join(this.root, ...key.split('/'));
    if (relative(this.root, path).startsWith('..')) throw new ReplibyteError(`invalid datastore key ${key}`);
    return path;
  }

  async put(key: string, body: Readable): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await pipeline(body, createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw translateDiskError(error, path);
    }
  }

  async putAtomic(key: string, body: Buffer): Promise<void> {
    const path = this.pathOf(key);
    const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(temporary, body, { flush: true });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw translateDiskError(error, path);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new ReplibyteError(`${this.description}: ${key} is missing`);
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  async getSmall(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = prefix ? this.pathOf(prefix.replace(/\/$/, '')) : this.root;
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      yield relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/');
    }
  }

  async listTopLevel(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix.replace(/\/$/, '')), { recursive: true, force: true });
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async close(): Promise<void> {}
}

function translateDiskError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new ReplibyteError(`disk full while writing ${path}`);
  if (code === 'EACCES' || code === 'EPERM') return new ReplibyteError(`permission denied writing ${path}`);
  return error as Error;
}
