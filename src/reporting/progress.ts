/**
 * Progress events: what `dump create` and `dump restore` are doing, table by table. The library emits
 * them through `Reporter.progress` (optional: a reporter without it sees nothing); the CLI renders them
 * on a terminal (progress-terminal.ts), as plain log lines (progress-lines.ts), or as JSON lines.
 */
export type ProgressEvent =
  | {
      type: 'start';
      operation: 'dump' | 'restore';
      /** Tables whose rows will be copied. */
      tables: number;
      /** The catalog's estimate for a dump (reltuples), the manifest's count for a restore. */
      estimatedRows: number;
      /** Raw bytes expected, when known (a restore knows them from the manifest). */
      estimatedBytes?: number;
    }
  | { type: 'table-start'; table: string; estimatedRows?: number; estimatedBytes?: number }
  /** Cumulative for the table so far. `bytes` are raw (uncompressed) bytes. */
  | { type: 'table-progress'; table: string; rows: number; bytes: number }
  | { type: 'table-end'; table: string; rows: number; bytes: number; storedBytes?: number }
  | { type: 'end'; operation: 'dump' | 'restore'; tables: number; rows: number; bytesIn: number; bytesOut: number; seconds: number };

export type ProgressListener = (event: ProgressEvent) => void;
