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

/**
 * The line a source prints for a table part it wrote: `  public.customers: 100 rows, 2 column(s) transformed`.
 * An empty part is left to the progress display, which sums the empty tables into one line (a table
 * partitioned by month has dozens of empty partitions); a reporter without progress gets its line.
 */
export function reportPartWritten(reporter: Reporter, label: string, count: number | undefined, what = 'rows', detail = ''): void {
  if (count === 0 && reporter.progress) return;
  reporter.info(`  ${label}: ${count ?? '?'} ${what}${detail}`);
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
