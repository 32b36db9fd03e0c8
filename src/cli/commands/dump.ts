import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { openDatastore } from '../../datastores/open.js';
import type { Datastore } from '../../datastores/datastore.js';
import { deleteDump, parseDuration, planDumpDeletion, surveyDumps } from '../../dump/catalog.js';
import { deleteLeftover, describeWriter, findLeftovers, leftoverOf, type Leftover } from '../../dump/leftovers.js';
import { ReplibyteError } from '../../errors.js';
import { createDump } from '../../operations/dump-create.js';
import { listDumpContents, restoreDump, restoreToScript } from '../../operations/dump-restore.js';
import { addRestoreFilterFlags, contentsText, restoreFilterOf, type RestoreFilterFlags } from './restore-filter-flags.js';
import { ALLOW_UNENCRYPTED_HELP, registerVerifyCommand } from './dump-verify.js';
import { registerShowCommand } from './dump-show.js';
import { cliReporter } from '../../reporting/cli-reporter.js';
import type { SourceType } from '../../sources/open.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { interruption } from '../interrupt.js';
import { formatAge, formatBytes, formatTable } from '../../reporting/format.js';
import { registerLocalRestore } from './local.js';

const SOURCE_TYPES: SourceType[] = ['postgresql', 'mysql', 'mongodb'];

export function registerDumpCommands(program: Command): void {
  const dump = program.command('dump').description('create, list, restore and delete dumps');
  const globals = () => program.opts<GlobalOptions & { quiet?: boolean }>();

  dump
    .command('create')
    .description('dump the source database (or a dump script) into the datastore')
    .option('-s, --source_type <type>', `type of the script read with -i/-f: ${SOURCE_TYPES.join(', ')}`)
    .option('-i, --input', 'read a dump script from stdin instead of the live database')
    .option('-f, --file <path>', 'read a dump script from a file instead of the live database')
    .option('-n, --name <name>', 'name of the dump (default: dump-<epoch ms>)')
    .option('--json', 'progress and messages as JSON lines on stdout (for scripts)')
    .option('-j, --jobs <count>', 'connections reading tables at once (default: the number of cores)')
    .option('--scan', 'residual scan: look for personal-looking values in a sample of every table\'s rows as they are written, and store nothing if any is found')
    .option('--strict', 'refuse to start while a dumped column is neither transformed nor in source.keep (as source.strict: true)')
    .option('--no-large-objects', 'leave PostgreSQL large objects out (as source.large_objects: skip)')
    .option('--allow-truncated', "store a script that does not end with its dump tool's last line (`-- Dump completed`), with a warning")
    .option('--include <schema.table:column=values>', 'subset by example: also keep these rows and every row they reference (repeatable; values comma-separated)', (value: string, list: string[]) => [...list, value], [] as string[])
    .action(async (options: { source_type?: string; input?: boolean; file?: string; name?: string; json?: boolean; jobs?: string; scan?: boolean; strict?: boolean; largeObjects?: boolean; allowTruncated?: boolean; include: string[] }) => {
      const loaded = await requireConfig(globals());
      const subset = loaded.source?.database_subset;
      const overrides = {
        ...(options.strict && { strict: true }),
        ...(options.largeObjects === false && { large_objects: 'skip' as const }),
        // --include adds starts to the config's subset, or makes one of just those rows.
        ...(options.include.length > 0 && { database_subset: { ...subset, include: [...(subset?.include ?? []), ...options.include] } }),
      };
      const config = Object.keys(overrides).length > 0 ? { ...loaded, source: { ...loaded.source, ...overrides } } : loaded;
      const sourceType = parseSourceType(options.source_type);
      if ((options.input || options.file) && !sourceType) throw new ReplibyteError('-i/-f need -s (the script type), e.g. -s postgresql');
      if (sourceType && !options.input && !options.file) throw new ReplibyteError('-s needs -i (stdin) or -f FILE');
      if (options.file) await access(options.file).catch(() => {
        throw new ReplibyteError(`cannot read ${options.file}`);
      });
      const input = options.file ? createReadStream(options.file) : options.input ? process.stdin : undefined;
      await createDump(config, {
        ...(options.name && { name: options.name }),
        ...(sourceType && { sourceType }),
        ...(input && { input }),
        ...(options.jobs !== undefined && { jobs: parseJobs(options.jobs) }),
        ...(options.scan && { scan: true }),
        ...(options.allowTruncated && { allowTruncated: true }),
        reporter: cliReporter({ quiet: globals().quiet, json: options.json }),
        signal: interruption.signal(),
      });
    });

  dump
    .command('list')
    .description('list the dumps of the datastore, newest first')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const config = await requireConfig(globals());
      const datastore = await openDatastore(config);
      try {
        const { dumps, damaged } = await surveyDumps(datastore);
        if (options.json) {
          // Damaged dumps come last, each with the reason it cannot be read instead of its details.
          const entries = [...dumps.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })), ...damaged.map((d) => ({ name: d.name, damaged: d.reason }))];
          process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
          return;
        }
        if (dumps.length === 0 && damaged.length === 0) {
          process.stdout.write('<empty> no dumps available\n');
          return;
        }
        if (dumps.length > 0) {
          const rows = dumps.map((d) => [d.name, formatBytes(d.storedBytes), formatAge(d.createdAt), String(d.compressed), String(d.encrypted)]);
          process.stdout.write(`${formatTable(['name', 'size', 'when', 'compressed', 'encrypted'], rows)}\n`);
        }
        if (damaged.length > 0) {
          process.stdout.write(
            `${dumps.length > 0 ? '\n' : ''}damaged (cannot be read or restored; \`dump delete NAME\` removes one):\n${damaged.map((d) => `  ${d.name}: ${d.reason}\n`).join('')}`,
          );
        }
      } finally {
        await datastore.close();
      }
    });

  const restore = dump.command('restore').description('restore a dump');
  const remote = restore
    .command('remote')
    .description('restore into destination.connection_uri, or print the dump as a script with -o')
    .requiredOption('-v, --value <name>', 'dump to restore: latest or a dump name')
    .option('-o, --output', 'write the dump to stdout as a script (psql -v ON_ERROR_STOP=1 loads it)')
    .option('--json', 'progress and messages as JSON lines on stdout (for scripts)')
    .option('-j, --jobs <count>', 'connections restoring at once; above 1 the restore is not one transaction (default: 1)')
    .option('--allow-unencrypted', ALLOW_UNENCRYPTED_HELP)
    .option('--confirm-not-source', "restore a script dump into a database of the script's database name that holds its tables with rows (refused otherwise: it may be the source)");
  addRestoreFilterFlags(remote, true).action(
    async (options: RestoreFilterFlags & { value: string; output?: boolean; json?: boolean; jobs?: string; allowUnencrypted?: boolean; confirmNotSource?: boolean }) => {
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
      await restoreDump(config, {
        value: options.value,
        allowUnencrypted,
        filter,
        signal: interruption.signal(),
        reporter: cliReporter({ quiet: globals().quiet, json: options.json }),
        ...(options.jobs !== undefined && { jobs: parseJobs(options.jobs) }),
        ...(options.confirmNotSource && { confirmNotSource: true }),
      });
    },
  );

  registerVerifyCommand(dump, globals);
  registerShowCommand(dump, globals);
  registerLocalRestore(restore, globals, (json) => cliReporter({ quiet: globals().quiet, json }));

  dump
    .command('delete')
    .description('delete a dump (and what a failed run left under its name) by name, age (--older-than 14d) or count (--keep-last N); damaged dumps only by name; --prune-failed deletes what failed runs left')
    .argument('[name]', 'dump to delete, or a name a failed dump create left chunks under')
    .option('--older-than <age>', 'delete dumps older than this (14d, 12h, 2w); with --prune-failed, leftovers last written before this')
    .option('--keep-last <count>', 'keep only the N newest dumps')
    .option('--prune-failed', 'delete the leftovers of every dump create that never finished (no manifest, no run still writing)')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .option('--yes', 'confirm --keep-last 0 (it deletes every dump)')
    .action(async (name: string | undefined, options: { olderThan?: string; keepLast?: string; pruneFailed?: boolean; dryRun?: boolean; yes?: boolean }) => {
      const config = await requireConfig(globals());
      const keepLast = options.keepLast === undefined ? undefined : parseCount(options.keepLast);
      const olderThanMs = options.olderThan === undefined ? undefined : parseDuration(options.olderThan);
      const dryRun = options.dryRun === true;
      if (keepLast === 0 && !dryRun && !options.yes) {
        throw new ReplibyteError('--keep-last 0 deletes every dump: add --yes to confirm', 'see which with --dry-run');
      }
      if (options.pruneFailed && (name !== undefined || keepLast !== undefined)) {
        throw new ReplibyteError('--prune-failed takes no dump name and no --keep-last (only --older-than and --dry-run)');
      }
      const datastore = await openDatastore(config);
      try {
        if (options.pruneFailed) {
          await pruneFailed(datastore, { ...(olderThanMs !== undefined && { olderThanMs }), ...(options.olderThan && { olderThan: options.olderThan }), dryRun });
          return;
        }
        if (name !== undefined && olderThanMs === undefined && keepLast === undefined) {
          const leftover = await leftoverOf(datastore, name);
          if (leftover) {
            if (leftover.writer) throw new ReplibyteError(`${name} ${describeWriter(leftover.writer)}: it is not a dump yet; nothing deleted`, 'wait for it to finish, or stop it first');
            if (!dryRun) await deleteLeftover(datastore, name);
            process.stderr.write(`${dryRun ? 'would delete' : 'deleted'} the leftovers of unfinished dump ${name} (${describeLeftover(leftover)})\n`);
            return;
          }
        }
        const { names, skipped } = await planDumpDeletion(datastore, {
          ...(name !== undefined && { name }),
          ...(olderThanMs !== undefined && { olderThanMs }),
          ...(keepLast !== undefined && { keepLast }),
        });
        for (const damaged of skipped) {
          process.stderr.write(`skipped damaged dump ${damaged.name} (${damaged.reason}): neither counted nor deleted; \`dump delete ${damaged.name}\` removes it\n`);
        }
        for (const victim of names) {
          if (!dryRun) await deleteDump(datastore, victim);
          process.stderr.write(`${dryRun ? 'would delete' : 'deleted'} ${victim}\n`);
        }
        if (names.length === 0) process.stderr.write('no dump matched; nothing deleted\n');
      } finally {
        await datastore.close();
      }
    });
}

function parseSourceType(value: string | undefined): SourceType | undefined {
  if (value === undefined) return undefined;
  const normalized = value === 'postgres' ? 'postgresql' : value;
  if (!SOURCE_TYPES.includes(normalized as SourceType)) {
    throw new ReplibyteError(`unknown source type '${value}': use one of ${SOURCE_TYPES.join(', ')}`);
  }
  return normalized as SourceType;
}

function parseJobs(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ReplibyteError(`--jobs takes a whole number of connections (1 or more), not '${text}'`);
  return Number(text);
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new ReplibyteError(`--keep-last takes a whole number, not '${text}'`);
  return Number(text);
}

/** `dump delete --prune-failed`: every name without a manifest that no run is still writing. */
async function pruneFailed(datastore: Datastore, options: { olderThanMs?: number; olderThan?: string; dryRun: boolean }): Promise<void> {
  const now = new Date();
  let deleted = 0;
  for (const leftover of await findLeftovers(datastore, now)) {
    if (leftover.writer) {
      process.stderr.write(`kept ${leftover.name}: it ${describeWriter(leftover.writer)}\n`);
      continue;
    }
    if (options.olderThanMs !== undefined && leftover.lastWritten && now.getTime() - leftover.lastWritten.getTime() < options.olderThanMs) {
      process.stderr.write(`kept ${leftover.name}: last written ${formatAge(leftover.lastWritten, now)}, within --older-than ${options.olderThan}\n`);
      continue;
    }
    if (!options.dryRun) await deleteLeftover(datastore, leftover.name);
    deleted += 1;
    process.stderr.write(`${options.dryRun ? 'would delete' : 'deleted'} the leftovers of unfinished dump ${leftover.name} (${describeLeftover(leftover, now)})\n`);
  }
  if (deleted === 0) process.stderr.write('no leftovers of failed dumps; nothing deleted\n');
}

function describeLeftover(leftover: Leftover, now = new Date()): string {
  const parts = [`${leftover.objects} object${leftover.objects === 1 ? '' : 's'}`];
  if (leftover.openUploads) parts.push('open multipart uploads');
  if (leftover.lastWritten) parts.push(`last written ${formatAge(leftover.lastWritten, now)}`);
  return parts.join(', ');
}
