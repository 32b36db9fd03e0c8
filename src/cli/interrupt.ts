import { constants } from 'node:os';

/** How long a command that cleans up after Ctrl-C (removing chunks, rolling back) may take before it is cut short. */
export const CLEAN_UP_GRACE_MS = 10_000;

/**
 * SIGINT and SIGTERM for every command, so that a run always ends within seconds with the conventional
 * exit code (128 + the signal's number: 130, 143). A command that has something to undo asks for the
 * signal with `interruption()` and gets `CLEAN_UP_GRACE_MS` to undo it; every other command ends at once
 * (its connections close with the process; none of them writes). A second signal ends the run at once.
 */
class Interruption {
  private readonly controller = new AbortController();
  private cleaning = false;
  /** The signal is how the command is meant to end (a foreground local server): exit code 0. */
  private expected = false;
  received: NodeJS.Signals | undefined;

  install(): void {
    process.on('SIGINT', () => this.onSignal('SIGINT'));
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
  }

  /** The signal a command cleans up on: from now on a first Ctrl-C lets it finish its clean-up. */
  signal(): AbortSignal {
    this.cleaning = true;
    return this.controller.signal;
  }

  /** Resolves at the first SIGINT or SIGTERM, which is then the normal end of the command (exit code 0). */
  stopRequested(): Promise<void> {
    this.expected = true;
    const signal = this.signal();
    return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  }

  /** 130 for SIGINT, 143 for SIGTERM; undefined when no signal came (or it was the expected end). */
  get exitCode(): number | undefined {
    return this.received && !this.expected ? 128 + constants.signals[this.received] : undefined;
  }

  private get forcedExitCode(): number {
    return this.received ? 128 + constants.signals[this.received] : 1;
  }

  private onSignal(name: NodeJS.Signals): void {
    if (this.received) {
      process.stderr.write(`${name} again: stopping now\n`);
      exitNow(this.forcedExitCode);
      return;
    }
    this.received = name;
    if (!this.cleaning) {
      exitNow(this.forcedExitCode);
      return;
    }
    if (!this.expected) process.stderr.write(`interrupted (${name}): cleaning up; press Ctrl-C again to stop at once\n`);
    // A clean-up that hangs (a store or a server that stopped answering) must not keep the run alive.
    setTimeout(() => {
      process.stderr.write(`the clean-up did not finish within ${CLEAN_UP_GRACE_MS / 1000} s; stopping\n`);
      exitNow(this.forcedExitCode);
    }, CLEAN_UP_GRACE_MS).unref();
    this.controller.abort(new Error(`interrupted by ${name}`));
  }
}

export const interruption = new Interruption();

/**
 * Ends the process once what was written to stdout and stderr has been handed over: handles left open
 * (a connection a failed step did not close, a timer, a child) must never keep a finished run alive.
 */
export function exitNow(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || !stream.writable) done();
    else stream.write('', done);
  }
  // A stdout whose reader stopped reading must not hold the exit either.
  setTimeout(() => process.exit(code), 2000).unref();
}
