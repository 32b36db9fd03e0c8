import { execFile } from 'node:child_process';
import { access, constants, realpath } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ReplibyteError } from '../../errors.js';

const run = promisify(execFile);

export interface MysqlServerBinaries {
  /** mariadbd or mysqld. */
  server: string;
  flavor: 'mariadb' | 'mysql';
  /** "10.11.19", "8.0.36". */
  version: string;
  /** MariaDB's mariadb-install-db (or mysql_install_db); MySQL initialises with `mysqld --initialize-insecure`. */
  installDb?: string;
}

/**
 * Where server binaries live besides PATH: distributions put mariadbd/mysqld in an sbin directory that a
 * normal user's PATH often lacks (Debian: /usr/sbin; RHEL: /usr/libexec).
 */
const SERVER_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/usr/local/mysql/bin', '/opt/homebrew/bin', '/usr/local/bin'];

export const INSTALL_HINT =
  'install the server package (Debian/Ubuntu: apt install mariadb-server-core; Fedora/RHEL: dnf install mariadb-server; macOS: brew install mariadb), ' +
  'or give a binary with --server-binary PATH; or restore into a server of your own with `dump restore remote`';

/**
 * The MySQL/MariaDB server binary for a local restore: `--server-binary`, else `mariadbd`/`mysqld` on PATH
 * or in the usual sbin directories, the dump's own flavour first (a MySQL dump prefers mysqld).
 */
export async function findMysqlServer(options: { serverBinary?: string; prefer?: 'mariadb' | 'mysql'; searchDirs?: string[] } = {}): Promise<MysqlServerBinaries> {
  const searchDirs = options.searchDirs ?? [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SERVER_DIRS];
  let server = options.serverBinary;
  if (server) {
    if (!(await executable(server))) throw new ReplibyteError(`--server-binary ${server}: not an executable file`);
  } else {
    const names = options.prefer === 'mysql' ? ['mysqld', 'mariadbd'] : ['mariadbd', 'mysqld'];
    server = await firstIn(names, searchDirs);
    if (!server) throw new ReplibyteError('a local MySQL/MariaDB restore needs a server binary (mariadbd or mysqld), and none is on PATH', INSTALL_HINT);
  }
  const { stdout } = await run(server, ['--no-defaults', '--version']).catch((error: { stderr?: string; message: string }) => {
    throw new ReplibyteError(`${server} --version failed: ${error.stderr?.trim() || error.message}`, INSTALL_HINT);
  });
  const version = /Ver\s+(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  if (!version) throw new ReplibyteError(`${server} is not a MySQL or MariaDB server (its --version says: ${stdout.trim().slice(0, 120)})`);
  const flavor = /mariadb/i.test(stdout) ? 'mariadb' : 'mysql';
  if (flavor === 'mysql') return { server, flavor, version };
  // The install script ships with the server: beside it, in ../bin (server in sbin), or on PATH.
  const real = await realpath(server);
  const dirs = [...new Set([dirname(server), join(dirname(server), '..', 'bin'), dirname(real), join(dirname(real), '..', 'bin')])];
  const installDb = await firstIn(['mariadb-install-db', 'mysql_install_db'], [...dirs, ...searchDirs]);
  if (!installDb) throw new ReplibyteError(`found ${server} (MariaDB ${version}) but not mariadb-install-db beside it or on PATH`, INSTALL_HINT);
  return { server, flavor, version, installDb };
}

/** The first name found in any directory, names in order of preference. */
async function firstIn(names: string[], dirs: string[]): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (await executable(path)) return path;
    }
  }
  return undefined;
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}
