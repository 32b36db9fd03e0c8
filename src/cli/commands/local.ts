import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultLocalBase, defaultLocalDir } from '../../destinations/local/local-server.js';
import { cloneLocalDatabase, dropLocalDatabase, listLocalServers, localEngineOf, stopLocalServer, type LocalServerListing } from '../../destinations/local/local-servers.js';
import { formatBytes } from '../../reporting/format.js';
import { ReplibyteError } from '../../errors.js';
import { restoreLocal } from '../../operations/dump-restore-local.js';
import { listDumpContents, restoreToScript } from '../../operations/dump-restore.js';
import { addRestoreFilterFlags, contentsText, restoreFilterOf, type RestoreFilterFlags } from './restore-filter-flags.js';
import type { Reporter } from '../../reporting/reporter.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { ALLOW_UNENCRYPTED_HELP } from './dump-verify.js';
import { interruption } from '../interrupt.js';

interface LocalRestoreFlags {
  value: string;
  name: string;
  dataDir?: string;
  port?: string;
  database?: string;
  detach?: boolean;
  keep?: boolean;
  image?: string;
  tag?: string;
  remove?: boolean;
  output?: boolean;
  json?: boolean;
  allowUnencrypted?: boolean;
  serverBinary?: string;
}

/** `dump restore local`: into a throwaway PostgreSQL (embedded binaries) or MySQL/MariaDB (a server binary on PATH). */
export function registerLocalRestore(restore: Command, globals: () => GlobalOptions, reporter: (json?: boolean) => Reporter): void {
  const local = restore
    .command('local')
    .description('restore into a throwaway server on 127.0.0.1, no Docker (PostgreSQL: embedded; MySQL/MariaDB: mariadbd or mysqld on PATH); Ctrl-C stops it')
    .requiredOption('-v, --value <name>', 'dump to restore: latest or a dump name')
    .option('--name <name>', 'name of the local server (its data directory, `local stop NAME`)', 'default')
    .option('--data-dir <dir>', `where the server keeps its data (default ${join(defaultLocalBase(), '<name>')}; REPLIBYTE_LOCAL_DIR moves the base)`)
    .option('-p, --port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--database <name>', 'database to restore into (default: the source database name); the restore itself is kept as <name>_template for `local clone`')
    .option('--detach', 'leave the server running and return; stop it with `replibyte local stop NAME`')
    .option('--keep', 'on Ctrl-C, stop the server but keep its data directory')
    .option('--server-binary <path>', 'a MySQL/MariaDB dump: the mariadbd or mysqld to run (default: the one on PATH or in /usr/sbin)')
    .option('-i, --image <image>', 'accepted for compatibility: Docker images are not used (the engine is the dump\'s)')
    .option('-t, --tag <tag>', 'accepted for compatibility (Docker image tag), ignored')
    .option('-r, --remove', 'accepted for compatibility: the data is removed on Ctrl-C unless --keep')
    .option('-o, --output', 'write the dump to stdout as a script instead of starting a server')
    .option('--json', 'progress as JSON lines on stdout, then {"type":"ready","uri":…}')
    .option('--allow-unencrypted', ALLOW_UNENCRYPTED_HELP);
  addRestoreFilterFlags(local, false).action(async (options: LocalRestoreFlags & RestoreFilterFlags) => {
      const config = await requireConfig(globals());
      const allowUnencrypted = options.allowUnencrypted ?? false;
      const filter = restoreFilterOf(options);
      if (options.list) {
        process.stdout.write(contentsText(await listDumpContents(config, options.value, filter)));
        return;
      }
      if (options.output) {
        await restoreToScript(config, { value: options.value, output: process.stdout, allowUnencrypted, filter });
        return;
      }
      if (options.image && !['postgresql', 'postgres', 'mysql', 'mariadb'].includes(options.image.split(':')[0]!)) {
        throw new ReplibyteError(`-i ${options.image}: the local restore runs PostgreSQL or MySQL/MariaDB only`, 'restore other engines with `dump restore remote`');
      }
      const port = options.port === undefined ? undefined : parsePort(options.port);
      // The server runs in its own session: a Ctrl-C during the restore must stop it, or it would outlive us.
      // restoreLocal stops it (and removes its data) when the signal interrupts the restore.
      const restored = await restoreLocal(config, {
        value: options.value,
        name: options.name,
        reporter: reporter(options.json),
        signal: interruption.signal(),
        allowUnencrypted,
        filter,
        ...(options.dataDir && { dataDir: options.dataDir }),
        ...(port && { port }),
        ...(options.database && { database: options.database }),
        ...(options.serverBinary && { serverBinary: options.serverBinary }),
      });
      const ready = { type: 'ready', uri: restored.uri, dataDir: restored.server.dataDir, port: restored.server.port, template: restored.template };
      process.stdout.write(options.json ? `${JSON.stringify(ready)}\n` : `${restored.uri}\n`);
      if (options.detach) {
        await restored.server.detach();
        process.stderr.write(
          `left running (data in ${restored.server.dataDir}); another copy: replibyte local clone ${options.dataDir ? `--data-dir ${options.dataDir} ` : `${options.name} `}NAME; ` +
            `stop it with: replibyte local stop ${stopArgument(options)}\n`,
        );
        return;
      }
      process.stderr.write('connect with the URI above; press Ctrl-C to stop the server\n');
      // A pending promise does not keep Node alive; the timer does, until the signal.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await interruption.stopRequested();
      clearInterval(keepAlive);
      await restored.server.stop({ remove: !options.keep });
      process.stderr.write(options.keep ? `stopped; data kept in ${restored.server.dataDir}\n` : 'stopped and removed\n');
    });
}

function stopArgument(options: { name: string; dataDir?: string }): string {
  return options.dataDir ? `--data-dir ${options.dataDir}` : options.name;
}

/** `replibyte local …`: the servers that `dump restore local --detach` (or `demo --keep`) left running, and their clones. */
export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('the local servers of `dump restore local`: clones of the restore, list, stop');
  local
    .command('clone')
    .description('a new database copied from the pristine template of the last restore; prints its URI')
    .argument('<server-or-name>', 'SERVER NAME, or NAME alone for the server named default')
    .argument('[name]', 'name of the new database')
    .option('--data-dir <dir>', 'the server by its data directory instead of its name')
    .option('--json', 'print {"server","database","template","uri"} as JSON')
    .action(async (first: string, second: string | undefined, options: { dataDir?: string; json?: boolean }) => {
      const { dataDir, database } = serverAndDatabase(first, second, options.dataDir);
      printClone(await cloneLocalDatabase(dataDir, database), options.json);
    });
  local
    .command('reset')
    .description('drop a database of a local server and clone it again from the pristine template; prints its URI')
    .argument('<server-or-name>', 'SERVER NAME, or NAME alone for the server named default')
    .argument('[name]', 'the database to start over')
    .option('--data-dir <dir>', 'the server by its data directory instead of its name')
    .option('--json', 'print {"server","database","template","uri"} as JSON')
    .action(async (first: string, second: string | undefined, options: { dataDir?: string; json?: boolean }) => {
      const { dataDir, database } = serverAndDatabase(first, second, options.dataDir);
      printClone(await cloneLocalDatabase(dataDir, database, { reset: true }), options.json);
    });
  local
    .command('drop')
    .description('drop a database of a local server (the pristine template stays)')
    .argument('<server-or-name>', 'SERVER NAME, or NAME alone for the server named default')
    .argument('[name]', 'the database to drop')
    .option('--data-dir <dir>', 'the server by its data directory instead of its name')
    .action(async (first: string, second: string | undefined, options: { dataDir?: string }) => {
      const { dataDir, database } = serverAndDatabase(first, second, options.dataDir);
      await dropLocalDatabase(dataDir, database);
      process.stderr.write(`dropped ${database}\n`);
    });
  local
    .command('list')
    .description('the local servers, their databases, sizes and URIs')
    .option('--json', 'as a JSON array')
    .action(async (options: { json?: boolean }) => {
      const servers = await listLocalServers();
      process.stdout.write(options.json ? `${JSON.stringify(servers, null, 2)}\n` : renderServers(servers));
    });
  local
    .command('stop')
    .description('stop a local server left running with --detach, and remove its data unless --keep')
    .argument('[name]', 'name of the local server', 'default')
    .option('--data-dir <dir>', 'the data directory instead of the name')
    .option('--keep', 'keep the data directory')
    .option('--force', 'remove a data directory replibyte made but lost track of (no state.json, e.g. after a failed start)')
    .action(async (name: string, options: { dataDir?: string; keep?: boolean; force?: boolean }) => {
      const dataDir = options.dataDir ?? defaultLocalDir(name);
      const engine = (await localEngineOf(dataDir)) === 'mysql' ? 'MySQL' : 'PostgreSQL';
      const state = await stopLocalServer(dataDir, { remove: !options.keep, force: options.force ?? false });
      if (!state) {
        process.stderr.write(`removed the broken local ${engine} data directory ${dataDir}\n`);
        return;
      }
      process.stderr.write(`stopped the local ${engine} ${state.name} (port ${state.port})${options.keep ? `; data kept in ${dataDir}` : ''}\n`);
    });
}

/** `clone NAME` is the server named default; `clone SERVER NAME` names both (`--data-dir` replaces SERVER). */
function serverAndDatabase(first: string, second: string | undefined, dataDir: string | undefined): { dataDir: string; database: string } {
  if (second !== undefined && dataDir) throw new ReplibyteError('give the server either by name or with --data-dir, not both');
  if (second === undefined) return { dataDir: dataDir ?? defaultLocalDir('default'), database: first };
  return { dataDir: defaultLocalDir(first), database: second };
}

function printClone(clone: { server: string; database: string; template: string; uri: string }, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(clone)}\n` : `${clone.uri}\n`);
}

function renderServers(servers: LocalServerListing[]): string {
  if (servers.length === 0) return 'no local servers (dump restore local --detach starts one)\n';
  const lines: string[] = [];
  for (const server of servers) {
    const status = server.running ? `running on 127.0.0.1:${server.port}` : 'stopped';
    lines.push(`${server.name}  ${server.engine}  ${status}  ${server.dataDir}`);
    const width = Math.max(0, ...server.databases.map((d) => d.name.length));
    for (const database of server.databases) {
      const where = database.template ? '(pristine template: local clone copies it)' : database.uri!;
      lines.push(`  ${database.name.padEnd(width)}  ${formatBytes(database.bytes).padStart(9)}  ${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new ReplibyteError(`--port takes a port number, not '${text}'`);
  return port;
}
