import type { z } from 'zod';
import type { ValueTransform } from './row-transform.js';

/** What a transformer knows of the column it is applied to, read from the source's catalog. */
export interface ColumnInfo {
  schema: string;
  table: string;
  name: string;
  /** The declared type as the database prints it (`character varying(20)`, `integer`, `text[]`). */
  type: string;
  /** The base type's name after domains are resolved (`varchar`, `int4`, `text`, `_text` for arrays). */
  baseType: string;
  /** Maximum characters for varchar(n)/char(n); undefined when unbounded. */
  maxLength?: number;
  /**
   * numeric(p,s) / decimal(p,s), through domains: at most `precision` digits, `scale` of them after the
   * point; `unsigned` for MySQL's DECIMAL UNSIGNED (number-range.ts).
   */
  decimal?: { precision: number; scale: number; unsigned?: boolean };
  /** Members of an enum type. */
  enumValues?: string[];
  /** The column alone carries a unique constraint or index. */
  unique?: boolean;
  /**
   * MySQL's `UNIQUE (name(10))`: only the first characters are unique. A transformer that keeps the
   * column unique is built with `maxLength` cut to this, so two fakes never share their prefix.
   */
  uniquePrefix?: number;
  /** The most bytes (UTF-8) the column takes, from a CHECK on `octet_length` (MySQL's `length`). */
  maxBytes?: number;
  /** The column is NOT NULL. */
  notNull?: boolean;
  /**
   * The first and last instants the type holds, as `YYYY-MM-DD HH:MM:SS` in UTC, when narrower than
   * years 1–9999 (MySQL's TIMESTAMP: 1970-01-01 00:00:01 to 2038-01-19 03:14:07).
   */
  timeRange?: [string, string];
  /**
   * The table's CHECK constraints on this column alone, as the engine prints their expressions (PostgreSQL:
   * `(length(code) < 20)`, MySQL: `char_length(`code`) <= 10`). A length they impose is in `maxLength`
   * (and `maxBytes`) already; the others are evaluated on values known before the dump (fixed-values.ts).
   */
  checks?: string[];
}

export interface TransformerContext {
  column: ColumnInfo;
  /** The secret that makes deterministic outputs unguessable. Never written anywhere. */
  salt: Buffer;
  /** The names of the row's columns, in COPY order (what `template` may read). */
  tableColumns?: readonly string[];
  /**
   * The transform planned for another column of the same table, resolved when the row is transformed
   * (so a `template` that reads a transformed column writes its transformed value, never the original).
   */
  transformOf?: (column: string) => ValueTransform | undefined;
}

export interface TransformerExample {
  input: string | null;
  options?: Record<string, unknown>;
  /** The column type the example is shown on (default `text`). */
  column?: Partial<ColumnInfo>;
  /** Other columns of the row, for transformers that read them (`template`). */
  row?: Record<string, string | null>;
}

/**
 * A transformer: a pure function from a column's text value to a new one, with its metadata.
 * `transformer list` and docs/transformers.md are generated from these definitions.
 */
export interface TransformerDefinition<Options = unknown> {
  name: string;
  description: string;
  options: z.ZodType<Options>;
  /** Same input, options and salt → same output, in every table and every run. */
  deterministic: boolean;
  /**
   * The algorithm's version (default 1), recorded in each dump's provenance: raise it whenever the same
   * input, options and salt would give another output, so a reviewer can tell two dumps' rules apart.
   */
  version?: number;
  /** A reason the transformer cannot write into this column, or undefined when it can. */
  refuses?(column: ColumnInfo): string | undefined;
  /**
   * How it treats a column with a unique constraint: `keeps` (distinct inputs give distinct outputs, by
   * construction or with a keyed suffix when the column is unique), `maps-all` (the outputs may collide,
   * so a unique column is refused). Default `maps-all`.
   */
  unique?: 'keeps' | 'maps-all';
  /** Column types it accepts, for `transformer list` and the docs (e.g. `text, varchar`). */
  accepts: string;
  examples: TransformerExample[];
  /** Builds the function for one column. May throw a ReplibyteError, reported with the column's place in the config. */
  create(options: Options, context: TransformerContext): ValueTransform;
}

export function defineTransformer<Options>(definition: TransformerDefinition<Options>): TransformerDefinition<Options> {
  return definition;
}
