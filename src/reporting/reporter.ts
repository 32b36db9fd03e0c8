import { redactSecrets } from '../engines/uri-schemes.js';
import type { ProgressEvent } from './progress.js';

/**
 * Where the library says what it is doing. The CLI prints to stderr (stdout may carry a dump);
 * tests collect the lines. Messages never contain secrets.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Table-by-table progress (see progress.ts); optional, so a reporter may ignore it. */
  progress?(event: ProgressEvent): void;
}

export const silentReporter: Reporter = { info: () => undefined, warn: () => undefined };

export function stderrReporter(options: { quiet?: boolean } = {}): Reporter {
  return {
    info: (message) => {
      if (!options.quiet) process.stderr.write(`${redactSecrets(message)}\n`);
    },
    warn: (message) => process.stderr.write(`warning: ${redactSecrets(message)}\n`),
  };
}

export class CollectingReporter implements Reporter {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
}
