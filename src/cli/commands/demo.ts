import type { Command } from 'commander';
import { DEMO_LOCAL, DEMO_SOURCE, runDemo } from '../../demo/demo.js';
import { stopLocalPostgres } from '../../destinations/local/local-postgres.js';
import { defaultLocalDir } from '../../destinations/local/local-server.js';
import { cliReporter } from '../../reporting/cli-reporter.js';
import { formatAge, formatBytes, formatTable } from '../../reporting/format.js';
import { exitNow, interruption } from '../interrupt.js';

/** `replibyte demo`: the first command of the README. Needs no config and no database server. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('try replibyte on a sample database: embedded PostgreSQL, a config with transformers, dump, list, restore')
    .option('--dir <dir>', 'where the demo writes conf.yaml and its dumps', 'replibyte-demo')
    .option('--keep', 'leave the source and the restored copy running (stop them with `replibyte local stop`)')
    .action(async (options: { dir: string; keep?: boolean }) => {
      const quiet = Boolean(program.opts<{ quiet?: boolean }>().quiet);
      const out = (text: string) => process.stdout.write(`${text}\n`);
      let number = 0;
      // The servers run in their own sessions: a Ctrl-C must stop them, or they would outlive the demo.
      const interrupted = () => {
        process.stderr.write('interrupted: stopping the demo servers\n');
        void Promise.allSettled([DEMO_SOURCE, DEMO_LOCAL].map((name) => stopLocalPostgres(defaultLocalDir(name), { remove: true }))).finally(() =>
          exitNow(interruption.exitCode ?? 130),
        );
      };
      const signal = interruption.signal();
      signal.addEventListener('abort', interrupted, { once: true });
      const result = await runDemo({
        dir: options.dir,
        keep: Boolean(options.keep),
        reporter: cliReporter({ quiet }),
        onStep: (text) => {
          number += 1;
          if (!quiet) out(`${number}. ${text}`);
        },
      });
      signal.removeEventListener('abort', interrupted);
      const rows = result.dumps.map((d) => [d.name, formatBytes(d.storedBytes), formatAge(d.createdAt), String(d.compressed), String(d.encrypted)]);
      out(`\n${formatTable(['name', 'size', 'when', 'compressed', 'encrypted'], rows)}`);
      const columns = Object.keys(result.before[0] ?? {});
      const table = (records: Array<Record<string, string | null>>) => formatTable(columns, records.map((r) => columns.map((c) => r[c] ?? 'NULL')));
      out(`\nbefore (the source, ${DEMO_SOURCE}):\n${table(result.before)}`);
      out(`\nafter (the restored copy a developer gets):\n${table(result.after)}`);
      out(`\nconfig: ${result.configPath}`);
      if (result.kept) {
        out(`source:          ${result.sourceUri}`);
        out(`restored copy:   ${result.localUri}`);
        out(`stop them with:  replibyte local stop ${DEMO_SOURCE} && replibyte local stop ${DEMO_LOCAL}`);
      } else {
        out('both servers are stopped and removed (run with --keep to leave them running)');
      }
      out('next: `replibyte -c YOUR.yaml source scan` proposes transformers for your own database');
    });
}
