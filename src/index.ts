/** The replibyte library: the CLI is a thin layer over these functions. */
export { loadConfigFile, parseConfig, ConfigError, compressionOf, type Config } from './config/load.js';
export { ReplibyteError } from './errors.js';
export { createDump, type CreateDumpOptions } from './operations/dump-create.js';
export { restoreDump, restoreToScript, openDump, type RestoreOptions } from './operations/dump-restore.js';
export { verifyDump, type VerifyReport } from './operations/dump-verify.js';
export { listDumps, deleteDump, selectDumpsToDelete, readManifest, type DumpSummary } from './dump/catalog.js';
export { openDatastore } from './datastores/open.js';
export type { Datastore } from './datastores/datastore.js';
export type { Manifest, ManifestPart } from './dump/manifest.js';
export { builtinTransformers } from './transformers/builtin/index.js';
export { TransformerRegistry } from './transformers/registry.js';
export { defineTransformer, type TransformerDefinition, type ColumnInfo } from './transformers/transformer.js';
export { CollectingReporter, silentReporter, stderrReporter, type Reporter } from './reporting/reporter.js';
