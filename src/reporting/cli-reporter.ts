import { JsonProgressRenderer, LineProgressRenderer, TerminalProgressRenderer, type ProgressRenderer } from './progress-renderers.js';
import { redactSecrets } from '../engines/uri-schemes.js';
import type { Reporter } from './reporter.js';

export interface CliReporterOptions {
  /** `-q`: warnings only, no progress. */
  quiet?: boolean;
  /** `--json`: events and messages as JSON lines on stdout; warnings stay on stderr. */
  json?: boolean;
  stderr?: NodeJS.WriteStream;
  stdout?: NodeJS.WritableStream;
}

/**
 * The reporter of `dump create` and `dump restore`: a live progress line on a terminal, plain lines
 * when stderr is not one, JSON lines with --json, nothing but warnings with --quiet.
 */
export function cliReporter(options: CliReporterOptions = {}): Reporter {
  const stderr = options.stderr ?? process.stderr;
  // Messages never quote a credential; redactSecrets makes sure of it for any URI one quotes.
  const warn = (message: string) => stderr.write(`warning: ${redactSecrets(message)}\n`);
  if (options.quiet) return { info: () => undefined, warn };
  let renderer: ProgressRenderer;
  if (options.json) {
    const stdout = options.stdout ?? process.stdout;
    renderer = new JsonProgressRenderer({ write: (text) => stdout.write(text) });
  } else if (stderr.isTTY) {
    renderer = new TerminalProgressRenderer({ write: (text) => stderr.write(text), get columns() { return stderr.columns; } });
  } else {
    renderer = new LineProgressRenderer({ write: (text) => stderr.write(text) });
  }
  return {
    info: (message) => renderer.message(redactSecrets(message)),
    warn,
    progress: (event) => renderer.handle(event),
  };
}
