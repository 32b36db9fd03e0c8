import { Command, CommanderError, Option } from 'commander';
import { ReplibyteError } from '../errors.js';
import { redactSecrets } from '../engines/uri-schemes.js';
import { VERSION } from '../version.js';
import { exitNow, interruption } from './interrupt.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDumpCommands } from './commands/dump.js';
import { registerInitCommand } from './commands/init.js';
import { registerLocalCommands } from './commands/local.js';
import { registerSourceCommands } from './commands/source.js';
import { registerTransformerCommands } from './commands/transformer.js';

export function buildProgram(): Command {
  const program = new Command('replibyte')
    .description('Seed development databases with production data that is safe to hand out')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'configuration file (conf.yaml)')
    .option('-n, --no-telemetry', 'accepted for compatibility: replibyte never sends telemetry')
    .option('-q, --quiet', 'print only errors and warnings')
    .option('--json', 'JSON output, for the commands that have it (as their own --json)')
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  registerDumpCommands(program);
  registerTransformerCommands(program);
  registerSourceCommands(program);
  registerLocalCommands(program);
  registerDemoCommand(program);
  registerConfigCommands(program);
  registerInitCommand(program);
  acceptGlobalOptionsAnywhere(program);
  return program;
}

/** The options a user gives before the command or after it: `replibyte dump list -c conf.yaml --json -q`. */
const ANYWHERE = [
  { flags: '-c, --config <file>', key: 'config' },
  { flags: '-q, --quiet', key: 'quiet' },
  { flags: '--json', key: 'json' },
] as const;

/**
 * Every subcommand also accepts -c, -q and --json (hidden from its help, which lists them as global
 * options). Before the action runs, the values given anywhere on the command line are gathered where the
 * commands read them: -c and -q on the program, --json on the command (which must have JSON output).
 */
function acceptGlobalOptionsAnywhere(program: Command): void {
  const visit = (command: Command): void => {
    for (const sub of command.commands) {
      for (const { flags, key } of ANYWHERE) {
        if (!sub.options.some((option) => option.attributeName() === key)) sub.addOption(new Option(flags).hideHelp());
      }
      visit(sub);
    }
  };
  visit(program);
  program.hook('preAction', (_, action) => {
    const chain: Command[] = [];
    for (let command: Command | null = action; command; command = command.parent) chain.unshift(command);
    const given = (key: string) => chain.map((command) => command.getOptionValue(key) as unknown).filter((value) => value !== undefined);
    const config = given('config').at(-1);
    if (config !== undefined) program.setOptionValue('config', config);
    if (given('quiet').length > 0) program.setOptionValue('quiet', true);
    if (given('json').length > 0) {
      if (!action.options.some((option) => option.attributeName() === 'json' && !option.hidden)) {
        throw new ReplibyteError(`\`${commandPath(action)}\` has no JSON output (no --json)`);
      }
      action.setOptionValue('json', true);
    }
  });
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/**
 * Runs the CLI: one error wrapper owns the exit codes (0 ok, 1 error, 130/143 after SIGINT/SIGTERM,
 * whatever the command made of the signal).
 */
export async function main(argv: string[]): Promise<number> {
  const code = await run(argv);
  return interruption.exitCode ?? code;
}

async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    // Every URI an error quotes (ours are already masked; a driver's may not be) loses its credentials.
    if (error instanceof ReplibyteError) {
      process.stderr.write(redactSecrets(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`));
      return 1;
    }
    const err = error as Error;
    process.stderr.write(redactSecrets(`error: ${err.message}\n`));
    if (process.env.REPLIBYTE_DEBUG) process.stderr.write(redactSecrets(`${err.stack}\n`));
    return 1;
  }
}

interruption.install();
// The run is over when main returns: a handle a failed step left open must not keep the process alive.
let finished = false;
void main(process.argv).then((code) => {
  finished = true;
  exitNow(code);
});
// The other way round: nothing left to wait on, yet the command never returned (it awaited something
// that can no longer happen). Exiting 0 in silence would pass for success.
process.on('beforeExit', () => {
  if (finished) return;
  process.stderr.write('error: internal error: the command stopped before it finished (nothing left to wait on)\n');
  exitNow(1);
});
