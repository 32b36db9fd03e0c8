import type { ValueKind } from './condition.js';
import type { ColumnInfo } from './transformer.js';

/*
 * The contract between the transformers and the encoders that run them: a row-level stage (COPY text,
 * MySQL rows, BSON documents) calls a ColumnTransform per transformed column, and may hand a worker thread
 * the recipe to rebuild the same function there.
 */

/** Read access to the other columns of the row being transformed (for `template` and friends). */
export interface RowView {
  get(column: string): string | null;
}

export type ValueTransform = (value: string | null, row: RowView) => string | null;

export interface ColumnTransform {
  /** Position of the column in the COPY column list. */
  index: number;
  apply: ValueTransform;
  /** How a worker thread builds the same function (absent: this transform runs on the main thread only). */
  recipe?: TransformRecipe;
}

/**
 * A built-in transformer's function, as data a worker thread can rebuild it from: the same definition,
 * options, column and salt give the same function (transformers are pure and keep no state across rows
 * that changes their output).
 */
export interface TransformRecipe {
  transformer: string;
  /** As validated; as written when `rowOptions` (some options are read from the row, and validated there). */
  options: unknown;
  column: ColumnInfo;
  tableColumns: readonly string[];
  salt: Buffer;
  /** The column its output is checked against, and the row's key columns (column-guard.ts). */
  guard?: { column: ColumnInfo; keyColumns: readonly string[] };
  /** The `when:` condition: the transformer runs on the rows where it holds, the others keep the value. */
  when?: string;
  /** Some options are `{ column: name }` or `{ transformed: name }`, read from each row. */
  rowOptions?: boolean;
  /** How the row's columns are read by conditions and row options; absent: a document's fields (any path, typed by use). */
  kinds?: Record<string, ValueKind>;
}
