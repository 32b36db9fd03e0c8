import { z } from 'zod';

/**
 * The conf.yaml schema: the original Replibyte's keys (snake_case, same meaning) plus our additions.
 * Every object is strict: an unknown key is a typo until proven otherwise, and a typo in `transformers`
 * leaks the data it was meant to hide.
 */

const tableRef = z.strictObject({
  database: z.string().min(1),
  table: z.string().min(1),
});

const transformerColumn = z.strictObject({
  name: z.string().min(1),
  transformer_name: z.string().min(1),
  transformer_options: z.record(z.string(), z.unknown()).optional(),
  /** A condition over the row (docs/transformers.md, Conditions): the transformer runs where it holds. */
  when: z.string().trim().min(1).optional(),
});

const transformerTable = z.strictObject({
  database: z.string().min(1),
  table: z.string().min(1),
  columns: z.array(transformerColumn),
});

/** A relation the schema does not declare (kept by the application, or inside a json column). */
/**
 * Columns declared safe as they are (strict mode: every dumped column is transformed or kept). One entry
 * per table; the reason is required, so that the review that decided it is on record in the config.
 */
const keepTable = z.strictObject({
  database: z.string().min(1),
  table: z.string().min(1),
  columns: z.array(z.string().min(1)).min(1),
  reason: z.string().trim().min(1, 'say why these columns are safe to copy as they are'),
});

const virtualForeignKey = z.strictObject({
  database: z.string().min(1).optional(),
  table: z.string().min(1),
  /** Column names, or `{ expression }` SQL evaluated on the table's row (e.g. `(payload->>'customer_id')::bigint`). */
  columns: z.array(z.union([z.string().min(1), z.strictObject({ expression: z.string().min(1) })])).min(1),
  referenced_database: z.string().min(1).optional(),
  referenced_table: z.string().min(1),
  referenced_columns: z.array(z.string().min(1)).min(1),
});

/** One start of a subset: a table and how its rows are chosen (exactly one of percent, where, limit). */
const subsetTarget = z.strictObject({
  database: z.string().min(1).optional(),
  table: z.string().min(1),
  percent: z.number().min(0).max(100).optional(),
  seed: z.union([z.string(), z.number()]).optional(),
  where: z.string().min(1).optional(),
  limit: z.number().int().nonnegative().optional(),
  order_by: z.string().min(1).optional(),
});

const databaseSubset = z.strictObject({
  /** The schema (MySQL: database) of unqualified names; required by the single-table form. */
  database: z.string().min(1).optional(),
  // The original's single-table form: table + strategy_name (+ strategy_options).
  table: z.string().min(1).optional(),
  strategy_name: z.string().min(1).optional(),
  strategy_options: z.record(z.string(), z.unknown()).optional(),
  // Additions (README "Subset"): several starts, caps per table, rows by example.
  targets: z.array(subsetTarget).optional(),
  /** Table name (`schema.table` or a name in `database`) → the most rows it may keep. */
  max_rows: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** `schema.table:column=v1,v2`: these rows and their closure (also `dump create --include`). */
  include: z.array(z.string().min(1)).optional(),
  passthrough_tables: z.array(z.string().min(1)).optional(),
  // Additions to the original (see README "Subset"):
  include_children: z
    .strictObject({ enabled: z.boolean().optional(), limit_per_parent: z.number().int().positive().optional() })
    .optional(),
  virtual_foreign_keys: z.array(virtualForeignKey).optional(),
});

const compression = z.union([z.boolean(), z.enum(['zstd', 'gzip', 'none'])]);

const source = z.strictObject({
  connection_uri: z.string().min(1).optional(),
  compression: compression.optional(),
  transformers: z.array(transformerTable).optional(),
  skip: z.array(tableRef).optional(),
  skip_data: z.array(tableRef).optional(),
  only_tables: z.array(tableRef).optional(),
  database_subset: databaseSubset.optional(),
  /** Refuse to dump while a column of a dumped table is neither transformed nor in `keep`. */
  strict: z.boolean().optional(),
  keep: z.array(keepTable).optional(),
  /** PostgreSQL large objects: copied as they are (the default; dump create warns), or left out. */
  large_objects: z.enum(['keep', 'skip']).optional(),
});

const endpoint = z.union([z.literal('default'), z.strictObject({ custom: z.string().min(1) })]);

const aws = z.strictObject({
  bucket: z.string().min(1),
  region: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  prefix: z.string().optional(),
  credentials: z
    .strictObject({
      access_key_id: z.string().min(1),
      secret_access_key: z.string().min(1),
      session_token: z.string().min(1).optional(),
    })
    .optional(),
  endpoint: endpoint.optional(),
});

const gcp = z.strictObject({
  bucket: z.string().min(1),
  region: z.string().min(1),
  access_key: z.string().min(1),
  secret: z.string().min(1),
  prefix: z.string().optional(),
  endpoint: endpoint.optional(),
});

const datastore = z
  .strictObject({
    local_disk: z.strictObject({ dir: z.string().min(1) }).optional(),
    aws: aws.optional(),
    gcp: gcp.optional(),
  })
  .refine((d) => [d.local_disk, d.aws, d.gcp].filter(Boolean).length === 1, {
    message: 'exactly one of local_disk, aws or gcp must be given',
  });

/** An SQL statement (or several), or the path of a `.sql` file relative to the config file. */
const restoreHook = z.string().trim().min(1, 'an SQL statement or the path of a .sql file');

const destination = z.strictObject({
  /** Required by `dump restore remote`; `dump restore local` and `-o` need none (hooks may be all there is). */
  connection_uri: z.string().min(1).optional(),
  wipe_database: z.boolean().optional(),
  /** Run in the destination after the wipe, before the dump's first part (README "Restore hooks"). */
  before_restore: z.array(restoreHook).optional(),
  /** Run in the destination after the dump's last part, before the restore commits. */
  after_restore: z.array(restoreHook).optional(),
});

export const configSchema = z.strictObject({
  encryption_key: z.string().min(1).optional(),
  salt: z.string().min(1).optional(),
  source: source.optional(),
  datastore,
  destination: destination.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
export type TableRef = z.infer<typeof tableRef>;
export type TransformerTableConfig = z.infer<typeof transformerTable>;
export type TransformerColumnConfig = z.infer<typeof transformerColumn>;
export type KeepTableConfig = z.infer<typeof keepTable>;
export type DatabaseSubsetConfig = z.infer<typeof databaseSubset>;
export type VirtualForeignKeyConfig = z.infer<typeof virtualForeignKey>;
export type AwsDatastoreConfig = z.infer<typeof aws>;
export type GcpDatastoreConfig = z.infer<typeof gcp>;
