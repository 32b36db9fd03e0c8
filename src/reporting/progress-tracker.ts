import type { ProgressEvent } from './progress.js';

/** The figures a progress display shows, kept from the events (pure: the clock is passed in). */
export class ProgressTracker {
  operation: 'dump' | 'restore' = 'dump';
  tables = 0;
  estimatedRows = 0;
  tablesDone = 0;
  rowsDone = 0;
  bytesDone = 0;
  startedAt: number;
  current: { table: string; rows: number; bytes: number; estimatedRows?: number; startedAt: number } | undefined;

  constructor(now: number) {
    this.startedAt = now;
  }

  apply(event: ProgressEvent, now: number): void {
    switch (event.type) {
      case 'start':
        this.operation = event.operation;
        this.tables = event.tables;
        this.estimatedRows = event.estimatedRows;
        this.startedAt = now;
        break;
      case 'table-start':
        this.current = { table: event.table, rows: 0, bytes: 0, ...(event.estimatedRows !== undefined && { estimatedRows: event.estimatedRows }), startedAt: now };
        break;
      case 'table-progress':
        if (this.current?.table !== event.table) this.current = { table: event.table, rows: 0, bytes: 0, startedAt: now };
        this.current.rows = event.rows;
        this.current.bytes = event.bytes;
        break;
      case 'table-end':
        this.tablesDone += 1;
        this.rowsDone += event.rows;
        this.bytesDone += event.bytes;
        this.current = undefined;
        break;
      case 'end':
        break;
    }
  }

  get rows(): number {
    return this.rowsDone + (this.current?.rows ?? 0);
  }

  get bytes(): number {
    return this.bytesDone + (this.current?.bytes ?? 0);
  }

  rowsPerSecond(now: number): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.rows / seconds : 0;
  }

  bytesPerSecond(now: number): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.bytes / seconds : 0;
  }

  /** Seconds left at the current rate, from the catalog's row estimate; undefined when unknown. */
  etaSeconds(now: number): number | undefined {
    const rate = this.rowsPerSecond(now);
    if (rate <= 0 || this.estimatedRows <= 0) return undefined;
    return Math.max(0, (this.estimatedRows - this.rows) / rate);
  }
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(s).padStart(2, '0')}`;
}
