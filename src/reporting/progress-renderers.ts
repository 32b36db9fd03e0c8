import { formatBytes } from './format.js';
import type { ProgressEvent } from './progress.js';
import { formatCount, formatDuration, formatRate, ProgressTracker } from './progress-tracker.js';

export interface TextOutput {
  write(text: string): void;
  /** Terminal width, when known. */
  columns?: number;
}

/** Renders events; `message` prints a log line without breaking the display. */
export interface ProgressRenderer {
  handle(event: ProgressEvent): void;
  message(line: string): void;
}

const CLEAR_LINE = '\r\x1b[2K';

/** The tables that ended with no rows, printed as one line before the summary instead of one line each. */
class EmptyTables {
  private readonly labels: string[] = [];

  /** Whether the event is an empty table's end (kept for the summary line). */
  take(event: ProgressEvent): boolean {
    if (event.type !== 'table-end' || event.rows !== 0) return false;
    this.labels.push(event.table);
    return true;
  }

  /** `  48 tables with no rows: public.orders_2020_01, …, and 40 more`, or nothing. */
  line(): string | undefined {
    const count = this.labels.length;
    if (count === 0) return undefined;
    if (count === 1) return `  ${this.labels[0]}: 0 rows`;
    const shown = [...this.labels].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).slice(0, EMPTY_TABLES_NAMED);
    return `  ${count} tables with no rows: ${shown.join(', ')}${count > shown.length ? `, and ${count - shown.length} more` : ''}`;
  }
}

const EMPTY_TABLES_NAMED = 8;

/** The summary line both text renderers end with. */
export function summaryLine(event: Extract<ProgressEvent, { type: 'end' }>): string {
  const rate = event.seconds > 0 ? ` (${formatCount(event.rows / event.seconds)} rows/s, ${formatRate(event.bytesIn / event.seconds)})` : '';
  return `${event.operation}: ${event.tables} tables, ${formatCount(event.rows)} rows, ${formatBytes(event.bytesIn)} in, ${formatBytes(event.bytesOut)} out, ${formatDuration(event.seconds)}${rate}`;
}

/**
 * On a terminal: one status line, redrawn at most every `intervalMs`, with the table, its rows against
 * the estimate, rows/s, MB/s and the ETA of the whole run; finished tables (of a restore) and the
 * summary are printed as lines above it.
 */
export class TerminalProgressRenderer implements ProgressRenderer {
  private readonly tracker: ProgressTracker;
  private readonly empty = new EmptyTables();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: TextOutput,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 100,
  ) {
    this.tracker = new ProgressTracker(now());
  }

  handle(event: ProgressEvent): void {
    const now = this.now();
    this.tracker.apply(event, now);
    if (this.empty.take(event)) return;
    if (event.type === 'table-end') {
      if (this.tracker.operation === 'restore') this.message(`  ✓ ${event.table}: ${formatCount(event.rows)} rows, ${formatBytes(event.bytes)}`);
      return;
    }
    if (event.type === 'end') {
      this.clear();
      const empty = this.empty.line();
      this.out.write(`${empty === undefined ? '' : `${empty}\n`}${summaryLine(event)}\n`);
      return;
    }
    if (event.type === 'table-progress' && now - this.lastDraw < this.intervalMs) return;
    this.draw(now);
  }

  message(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  private clear(): void {
    if (this.drawn) this.out.write(CLEAR_LINE);
    this.drawn = false;
  }

  private draw(now: number): void {
    const t = this.tracker;
    const current = t.current;
    if (!current) return;
    const estimate = current.estimatedRows && current.estimatedRows > 0 ? `/${formatCount(current.estimatedRows)}` : '';
    const eta = t.etaSeconds(now);
    const parts = [
      `${t.operation} [${Math.min(t.tablesDone + 1, Math.max(t.tables, 1))}/${t.tables}] ${current.table}`,
      `${formatCount(current.rows)}${estimate} rows`,
      `${formatCount(t.rowsPerSecond(now))} rows/s`,
      formatRate(t.bytesPerSecond(now)),
      ...(eta === undefined ? [] : [`ETA ${formatDuration(eta)}`]),
    ];
    let line = parts.join('  ');
    const width = this.out.columns ?? 120;
    if (line.length > width - 1) line = `${line.slice(0, width - 2)}…`;
    this.out.write(`${CLEAR_LINE}${line}`);
    this.drawn = true;
    this.lastDraw = now;
  }
}

/**
 * Not a terminal (a log file, CI): plain lines, no redraws. A table still running after `everyMs` gets
 * a line with its rows so far; finished tables of a restore and the summary get one line each.
 */
export class LineProgressRenderer implements ProgressRenderer {
  private readonly tracker: ProgressTracker;
  private readonly empty = new EmptyTables();
  private lastLine: number;

  constructor(
    private readonly out: TextOutput,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 10_000,
  ) {
    this.tracker = new ProgressTracker(now());
    this.lastLine = now();
  }

  handle(event: ProgressEvent): void {
    const now = this.now();
    this.tracker.apply(event, now);
    if (event.type === 'table-start') this.lastLine = now;
    if (event.type === 'table-progress' && now - this.lastLine >= this.everyMs) {
      const eta = this.tracker.etaSeconds(now);
      this.out.write(
        `  ${event.table}: ${formatCount(event.rows)} rows so far, ${formatCount(this.tracker.rowsPerSecond(now))} rows/s, ${formatRate(this.tracker.bytesPerSecond(now))}${eta === undefined ? '' : `, ETA ${formatDuration(eta)}`}\n`,
      );
      this.lastLine = now;
    }
    if (this.empty.take(event)) return;
    if (event.type === 'table-end' && this.tracker.operation === 'restore') this.out.write(`  ${event.table}: ${formatCount(event.rows)} rows, ${formatBytes(event.bytes)}\n`);
    if (event.type === 'end') {
      const empty = this.empty.line();
      if (empty !== undefined) this.out.write(`${empty}\n`);
      this.out.write(`${summaryLine(event)}\n`);
    }
  }

  message(line: string): void {
    this.out.write(`${line}\n`);
  }
}

/** `--json`: one JSON object per line; table-progress at most every `everyMs` per table. */
export class JsonProgressRenderer implements ProgressRenderer {
  private lastProgress = 0;

  constructor(
    private readonly out: TextOutput,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 1000,
  ) {}

  handle(event: ProgressEvent): void {
    if (event.type === 'table-progress') {
      const now = this.now();
      if (now - this.lastProgress < this.everyMs) return;
      this.lastProgress = now;
    }
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  message(line: string): void {
    this.out.write(`${JSON.stringify({ type: 'message', message: line })}\n`);
  }
}
