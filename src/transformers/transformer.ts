import type { z } from 'zod';
import type { ValueTransform } from '../encode/copy-row-transform.js';

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
  /** Members of an enum type. */
  enumValues?: string[];
  /** The column alone carries a unique constraint or index. */
  unique?: boolean;
}

export interface TransformerContext {
  column: ColumnInfo;
  /** The secret that makes deterministic outputs unguessable. Never written anywhere. */
  salt: Buffer;
}

export interface TransformerExample {
  input: string | null;
  options?: Record<string, unknown>;
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
  /** A reason the transformer cannot write into this column, or undefined when it can. */
  refuses?(column: ColumnInfo): string | undefined;
  examples: TransformerExample[];
  create(options: Options, context: TransformerContext): ValueTransform;
}

export function defineTransformer<Options>(definition: TransformerDefinition<Options>): TransformerDefinition<Options> {
  return definition;
}
