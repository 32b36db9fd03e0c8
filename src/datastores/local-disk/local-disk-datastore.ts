import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatastoreError, ReplibyteError } from '../../errors.js';
import type { Datastore, StoredObject } from '../datastore.js';
import { checkKey, checkPrefix } from '../keys.js';
import { readSmallFile, SMALL_OBJECT_MAX_BYTES } from '../../small-object.js';

/** Opening a file never follows a symbolic link in its last component (a link planted in the store). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const READ_FLAGS = constants.O_RDONLY | NO_FOLLOW;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NO_FOLLOW;

/**
 * A directory on local disk. The directory must exist (as in the original), so a typo is caught early.
 * Nothing here follows a symbolic link below the root: a dump directory or a file that is a link (to
 * somewhere outside the store) is refused, never read through, written through or deleted through.
 */
export class LocalDiskDatastore implements Datastore {
  readonly description: string;

  private constructor(
    private readonly root: string,
    private readonly configured: string,
  ) {
    this.description = `local disk ${configured}`;
  }

  static async open(dir: string): Promise<LocalDiskDatastore> {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new ReplibyteError(`datastore.local_disk.dir: directory ${dir} does not exist`, 'create it first (mkdir -p)');
    }
    // The root itself may be a link (./dumps → /mnt/big/dumps): it is resolved once, here.
    return new LocalDiskDatastore(await realpath(dir), dir);
  }

  /** The path of a key, after checking the key and that no existing component of it is a link. */
  private async pathOf(key: string): Promise<string> {
    checkKey(key, this.description);
    const segments = key.split('/');
    let path = this.root;
    for (const segment of segments) {
      path = join(path, segment);
      const info = await lstat(path).catch(() => undefined);
      // What does not exist yet is created as a plain directory or file (mkdir, O_NOFOLLOW).
      if (!info) return join(this.root, ...segments);
      if (info.isSymbolicLink()) {
        throw new ReplibyteError(`${this.description}: ${relative(this.root, path).split(sep).join('/')} is a symbolic link: replibyte never follows links out of the datastore`);
      }
    }
    return path;
  }

  private async prefixPath(prefix: string): Promise<string> {
    checkPrefix(prefix, this.description);
    return prefix === '' ? this.root : this.pathOf(prefix.slice(0, -1));
  }

  async put(key: string, body: Readable): Promise<void> {
    const path = await this.pathOf(key);
    try {
      const file = await inFolder(this.root, path, () => open(path, WRITE_FLAGS));
      await pipeline(body, file.createWriteStream());
    } catch (error) {
      await rm(path, { force: true });
      throw this.translate(error, key);
    }
  }

  async putAtomic(key: string, body: Buffer): Promise<void> {
    const path = await this.pathOf(key);
    const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      await inFolder(this.root, path, () => writeFile(temporary, body, { flush: true, flag: 'wx' }));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw this.translate(error, key);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = await this.pathOf(key);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new ReplibyteError(`${this.description}: ${key} is missing`);
    const file = await open(path, READ_FLAGS);
    return file.createReadStream({ highWaterMark: 1 << 20 });
  }

  async getSmall(key: string, maxBytes = SMALL_OBJECT_MAX_BYTES): Promise<Buffer | undefined> {
    return readSmallFile(await this.pathOf(key), maxBytes, `${this.description}: ${key}`, NO_FOLLOW);
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const entry of this.listDetailed(prefix)) yield entry.key;
  }

  /** Regular files only: a link found below the root is neither listed nor followed (readdir does not). */
  async *listDetailed(prefix: string): AsyncIterable<StoredObject> {
    const base = await this.prefixPath(prefix);
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await lstat(path).catch(() => undefined);
      if (!info) continue;
      yield { key: relative(this.root, path).split(sep).join('/'), modifiedAt: info.mtime };
    }
  }

  async listTopLevel(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  }

  /** A file being written is a file: local disk has no invisible uploads. */
  async listTopLevelOpenUploads(): Promise<string[]> {
    return [];
  }

  async deletePrefix(prefix: string, options: { except?: string } = {}): Promise<void> {
    if (prefix === '') throw new ReplibyteError(`${this.description}: refused to delete the whole datastore`);
    const base = await this.prefixPath(prefix);
    // rm does not follow links inside the directory; pathOf refused the directory itself being one.
    if (options.except === undefined) {
      await rm(base, { recursive: true, force: true });
      return;
    }
    const kept = checkPrefix(options.except, this.description).slice(prefix.length, -1);
    if (!options.except.startsWith(prefix) || kept.includes('/')) throw new Error(`deletePrefix: ${options.except} is not a folder directly under ${prefix}`);
    const entries = await readdir(base).catch(() => [] as string[]);
    for (const entry of entries) if (entry !== kept) await rm(join(base, entry), { recursive: true, force: true });
  }

  async delete(key: string): Promise<void> {
    const path = await this.pathOf(key);
    await rm(path, { force: true });
    // Folders emptied by the delete go too (a released claim's `claims/`, a dump's own folder): an
    // empty folder is not a dump, but it would still show in the store.
    for (let folder = dirname(path); folder !== this.root && folder.startsWith(this.root + sep); folder = dirname(folder)) {
      if (!(await rmdir(folder).then(() => true, () => false))) break;
    }
  }

  async close(): Promise<void> {}

  /** Errors of the directory itself name the config key it comes from, not the dump being written. */
  private translate(error: unknown, key: string): Error {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `datastore.local_disk.dir ${this.configured}`;
    if (code === 'ENOSPC' || code === 'EDQUOT') return new DatastoreError(`${where}: disk full (${code}) while writing ${key}`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new DatastoreError(`${where}: not writable (${code})`);
    if (code === 'ENOENT') return new DatastoreError(`${where}: cannot create the directories of ${key} (ENOENT)`);
    if (code === 'ELOOP') return new ReplibyteError(`${this.description}: ${key} is a symbolic link: replibyte never follows links out of the datastore`);
    return error as Error;
  }
}

/**
 * Creates `path`'s folder, then runs `create`; once more if the folder vanished in between (another
 * process deleting the last file of that folder removes the folder too).
 */
async function inFolder<T>(root: string, path: string, create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    await makeDirectories(root, dirname(path));
    try {
      return await create();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
    }
  }
}

/**
 * `mkdir -p` below the store's root, one level at a time. Node's recursive mkdir retries for ever when a
 * directory answers ENOENT to every mkdir although it exists (a datastore dir in /proc/sys): it spun a
 * core and held the run past Ctrl-C.
 */
async function makeDirectories(root: string, dir: string): Promise<void> {
  let path = root;
  for (const name of relative(root, dir).split(sep).filter(Boolean)) {
    path = join(path, name);
    try {
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
