import { z } from 'zod';
import type { Datastore } from '../datastores/datastore.js';
import { segmentProblem } from '../datastores/keys.js';
import { ReplibyteError } from '../errors.js';
import { DamagedObjectError, MIB } from '../small-object.js';

/** The manifest of docs/format.md, version 1. The zod schema is the reader's check of a stored manifest. */

export const MANIFEST_FORMAT = 'replibyte-dump';
export const MANIFEST_VERSION = 1;
/** The version of a dump that holds a `large-objects` part (docs/decisions/0016-large-objects-part.md). */
export const MANIFEST_VERSION_LARGE_OBJECTS = 2;
const READABLE_VERSIONS = [MANIFEST_VERSION, MANIFEST_VERSION_LARGE_OBJECTS];
export const MANIFEST_KEY = 'manifest.json';
/**
 * Readers refuse a larger manifest before reading it (a planted 1 GB one must not fill the memory of
 * `dump list`); the writer refuses to write one. 16 MiB is about 80,000 chunks (5 TiB at 64 MiB each).
 */
export const MANIFEST_MAX_BYTES = 16 * MIB;

/** A manifest names its chunks relative to the dump: a key that leads elsewhere is not a chunk of it. */
export const CHUNK_KEY = /^[0-9]{6,}\.chunk$/;

const chunkSchema = z.object({
  key: z.string().regex(CHUNK_KEY),
  rawBytes: z.number().int().nonnegative(),
  storedBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const partSchema = z.object({
  kind: z.enum(['sql', 'table-data', 'collections', 'large-objects']),
  section: z.enum(['pre-data', 'data', 'post-data']),
  label: z.string(),
  schema: z.string().optional(),
  table: z.string().optional(),
  columns: z.array(z.string()).optional(),
  encoding: z.enum(['pg-copy-text', 'sql', 'mysql-sql', 'bson-documents', 'mongodb-collections-jsonl', 'pg-large-objects']),
  rows: z.number().int().nonnegative().optional(),
  rawBytes: z.number().int().nonnegative(),
  chunks: z.array(chunkSchema),
});

/** How the dump was made (docs/format.md, "Provenance"): never a secret, only fingerprints of them. */
const provenanceSchema = z.object({
  saltFingerprint: z.string(),
  saltSource: z.string(),
  planFingerprint: z.string(),
  strict: z.boolean(),
  scan: z.object({
    ran: z.boolean(),
    mode: z.string().optional(),
    rowsScanned: z.number().int().nonnegative().optional(),
    findings: z.number().int().nonnegative().optional(),
  }),
});

export type Provenance = z.infer<typeof provenanceSchema>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.number().int(),
  name: z.string(),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.string(),
  finishedAt: z.string(),
  tool: z.string(),
  engine: z.object({ kind: z.string(), serverVersion: z.string().optional(), dumpTool: z.string().optional() }),
  source: z.object({
    kind: z.enum(['live', 'script']),
    database: z.string().optional(),
    systemIdentifier: z.string().optional(),
    /** A script stored with --allow-truncated: it lacked its dump tool's last line. */
    truncated: z.boolean().optional(),
  }),
  compression: z.enum(['zstd', 'gzip', 'none']),
  encryption: z.record(z.string(), z.unknown()).nullable(),
  schemas: z.array(z.string()),
  parts: z.array(partSchema),
  transformed: z.array(
    z.object({
      schema: z.string(),
      table: z.string(),
      column: z.string(),
      transformer: z.string(),
      propagatedFrom: z.string().optional(),
      options: z.unknown().optional(),
      algorithm: z.string().optional(),
      inheritedFrom: z.string().optional(),
      when: z.string().optional(),
    }),
  ),
  provenance: provenanceSchema.optional(),
  totals: z.object({
    rows: z.number().int().nonnegative(),
    rawBytes: z.number().int().nonnegative(),
    storedBytes: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestPart = z.infer<typeof partSchema>;
export type ManifestChunk = z.infer<typeof chunkSchema>;
export type PartDescription = Omit<ManifestPart, 'rawBytes' | 'chunks' | 'rows'>;

export function parseManifest(bytes: Buffer, where: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DamagedObjectError(where, 'manifest is not valid JSON');
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && !READABLE_VERSIONS.includes(version)) {
    throw new DamagedObjectError(
      where,
      `manifest version ${version} is not supported by this replibyte (it reads versions ${READABLE_VERSIONS.join(' and ')})`,
      'upgrade replibyte',
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedObjectError(where, `manifest is malformed at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}

const DUMP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** How many tables hold data parts: a large table read in key ranges has several parts. */
export function tablesWithData(parts: readonly ManifestPart[]): number {
  return new Set(parts.filter((part) => part.kind === 'table-data').map((part) => JSON.stringify([part.schema, part.table]))).size;
}

export function checkDumpName(name: string): string {
  if (!DUMP_NAME.test(name)) {
    throw new ReplibyteError(
      `invalid dump name '${name}': use letters, digits, '.', '_' and '-' (at most 128, starting with a letter or digit)`,
    );
  }
  return name;
}

/**
 * A name that may already exist in a datastore (a dump the original Replibyte named, or one given to
 * `dump restore`/`dump delete`): looser than `checkDumpName`, but never a name that leaves the store.
 */
export function checkStoredDumpName(name: string): string {
  const problem = segmentProblem(name);
  if (problem) throw new ReplibyteError(`invalid dump name ${JSON.stringify(name)}: it has ${problem}`);
  return name;
}

/** Whether `name` holds a manifest, readable or not: a damaged one still makes the name a dump's. */
export async function manifestExists(datastore: Datastore, name: string): Promise<boolean> {
  try {
    return (await datastore.getSmall(`${name}/${MANIFEST_KEY}`, MANIFEST_MAX_BYTES)) !== undefined;
  } catch (error) {
    if (error instanceof DamagedObjectError) return true;
    throw error;
  }
}

export function chunkKey(dumpName: string, sequence: number): string {
  return `${dumpName}/${String(sequence).padStart(6, '0')}.chunk`;
}
