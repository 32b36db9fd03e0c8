import type { Readable, Writable } from 'node:stream';
import type { CheckOptions, CheckReport } from '../check/config-check.js';
import type { Config } from '../config/load.js';
import type { PartReader } from '../destinations/destination.js';
import type { RestoreHooks, RestoreTarget } from '../destinations/destination.js';
import type { Manifest } from '../dump/manifest.js';
import { ReplibyteError } from '../errors.js';
import type { ScanOptions, ScanResult } from '../scan/source-scan.js';
import type { ScriptOptions } from '../sources/script-sources.js';
import type { DumpSource } from '../sources/source.js';
import { MYSQL_ENGINES } from './mysql/identifiers.js';
import { isMongoUri, isMysqlUri, isPostgresUri, redactUri } from './uri-schemes.js';

/*
 * The engine table: per database engine, how to recognise its URIs and dumps, and where each command finds
 * its source, script reader, destination, script writer, scan, check and schema listing. Every command
 * dispatches through it; a new engine is a folder under src/engines/ and one entry here.
 *
 * This file is the one place under src/engines/ that reaches up into sources/, destinations/, scan/ and
 * check/ (src/layering.test.ts): the folders beside it hold what a source and a destination of one engine
 * share. Every import is lazy, so a command loads only its engine's driver (mysql2 and mongodb cost tens
 * of MB to every command otherwise).
 */

export type EngineName = 'postgresql' | 'mysql' | 'mongodb';

export interface DestinationRequest {
  uri: string;
  /** Empty the destination first (the default, as in the original). */
  wipe: boolean;
  /** Connections loading at once (PostgreSQL; 1 restores in one transaction). */
  jobs?: number;
  /** `--confirm-not-source`: skip the same-name check of a script dump. */
  confirmNotSource: boolean;
  hooks: RestoreHooks;
  /** --data-only: no wipe; the dump's tables are emptied, then loaded (PostgreSQL and MySQL). */
  dataOnly?: { cascade: boolean };
}

/** A table of the source, as `source schema` prints it. */
export interface SchemaTable {
  schema: string;
  name: string;
  view: boolean;
  columns: Array<{ name: string; type: string; generated: boolean }>;
}

export interface Engine {
  name: EngineName;
  /** How people write it: PostgreSQL, MySQL/MariaDB, MongoDB. */
  label: string;
  recognisesUri(uri: string): boolean;
  /** Whether a dump whose manifest says `engine.kind` was made from this engine. */
  madeDump(kind: string): boolean;
  openSource(uri: string, options: { subset: boolean; jobs?: number }): Promise<DumpSource>;
  /** `dump create -s NAME -i`: the engine's dump script (or archive) read as it streams. */
  openScriptSource(input: Readable, options: ScriptOptions): Promise<DumpSource>;
  openDestination(request: DestinationRequest): Promise<RestoreTarget>;
  /** `dump restore -o`: the dump as a script the engine's own client reads. */
  writeScript(manifest: Manifest, readPart: PartReader, output: Writable, hooks: RestoreHooks): Promise<void>;
  /** `source scan` and `init`; absent where the README says why. */
  scan?(uri: string, options: ScanOptions): Promise<ScanResult>;
  /** `config check` against the live source (and `--preview`); absent where the README says why. */
  check?(report: CheckReport, config: Config, uri: string, options: CheckOptions & { strict: boolean }): Promise<void>;
  /** `source schema`. */
  schema(uri: string): Promise<SchemaTable[]>;
}

const postgresql: Engine = {
  name: 'postgresql',
  label: 'PostgreSQL',
  recognisesUri: isPostgresUri,
  madeDump: (kind) => kind === 'postgresql',
  openSource: async (uri, options) => (await import('../sources/postgres/postgres-source.js')).PostgresSource.open(uri, options),
  openScriptSource: async (input, options) => {
    const { PgScriptSource } = await import('../sources/pg-script/pg-script-source.js');
    const path = (input as Readable & { path?: unknown }).path;
    return new PgScriptSource(input, typeof path === 'string' ? `script ${path}` : 'the script on stdin', options);
  },
  openDestination: async ({ uri, wipe, jobs, confirmNotSource, hooks, dataOnly }) => {
    const { PostgresDestination } = await import('../destinations/postgres/postgres-destination.js');
    return new PostgresDestination({ uri, wipe, confirmNotSource, hooks, ...(jobs && { jobs }), ...(dataOnly && { dataOnly }) });
  },
  writeScript: async (manifest, readPart, output, hooks) => (await import('../destinations/stdout/sql-script-writer.js')).writeSqlScript(manifest, readPart, output, hooks),
  scan: async (uri, options) => (await import('../scan/source-scan.js')).scanPostgres(uri, options),
  check: async (report, config, uri, options) => (await import('../check/config-check.js')).checkPostgres(report, config, uri, options),
  schema: async (uri) => {
    const { PostgresSource } = await import('../sources/postgres/postgres-source.js');
    const source = await PostgresSource.open(uri);
    try {
      return source.catalog.tables.map((table) => ({ schema: table.schema, name: table.name, view: table.kind === 'v' || table.kind === 'm', columns: table.columns }));
    } finally {
      await source.close();
    }
  },
};

const mysql: Engine = {
  name: 'mysql',
  label: 'MySQL/MariaDB',
  recognisesUri: isMysqlUri,
  madeDump: (kind) => MYSQL_ENGINES.has(kind),
  openSource: async (uri, options) => (await import('../sources/mysql/mysql-source.js')).MysqlSource.open(uri, { subset: options.subset }),
  openScriptSource: async (input, options) => new (await import('../sources/mysql-script/mysql-script-source.js')).MysqlScriptSource(input, options),
  openDestination: async ({ uri, wipe, jobs, confirmNotSource, hooks, dataOnly }) => {
    const { MysqlDestination } = await import('../destinations/mysql/mysql-destination.js');
    return new MysqlDestination({ uri, wipe, confirmNotSource, hooks, ...(jobs && { jobs }), ...(dataOnly && { dataOnly }) });
  },
  writeScript: async (manifest, readPart, output, hooks) => (await import('../destinations/stdout/mysql-script-writer.js')).writeMysqlScript(manifest, readPart, output, hooks),
  scan: async (uri, options) => (await import('../scan/source-scan.js')).scanMysql(uri, options),
  check: async (report, config, uri, options) => (await import('../check/config-check.js')).checkMysql(report, config, uri, options),
  schema: async (uri) => {
    const { MysqlSource } = await import('../sources/mysql/mysql-source.js');
    const source = await MysqlSource.open(uri);
    try {
      return source.catalog.tables.map((table) => ({ schema: table.schema, name: table.name, view: table.kind === 'view', columns: table.columns }));
    } finally {
      await source.close();
    }
  },
};

/** Hooks are SQL: a MongoDB destination has nowhere to run them (README "Restore hooks"). */
function refuseHooks(hooks: RestoreHooks, what: string): void {
  const first = hooks.before[0] ?? hooks.after[0];
  if (first) {
    throw new ReplibyteError(
      `${first.name}: restore hooks are SQL, and ${what} is MongoDB; nothing was changed`,
      'remove destination.before_restore / after_restore, and run mongosh after the restore instead',
    );
  }
}

const mongodb: Engine = {
  name: 'mongodb',
  label: 'MongoDB',
  recognisesUri: isMongoUri,
  madeDump: (kind) => kind === 'mongodb',
  openSource: async (uri) => (await import('../sources/mongodb/mongo-source.js')).MongoSource.open(uri),
  openScriptSource: async (input) => new (await import('../sources/mongodb/archive-source.js')).MongoArchiveSource(input),
  openDestination: async ({ uri, wipe, hooks }) => {
    refuseHooks(hooks, `the destination ${redactUri(uri)}`);
    const { MongoDestination } = await import('../destinations/mongodb/mongo-destination.js');
    return new MongoDestination({ uri, wipe });
  },
  writeScript: async (manifest, readPart, output, hooks) => {
    refuseHooks(hooks, `dump ${manifest.name}`);
    await (await import('../destinations/mongodb/mongo-archive-writer.js')).writeMongoArchive(manifest, readPart, output);
  },
  // No scan or live check: documents have no fixed columns to list (README "MongoDB").
  schema: async (uri) => {
    const { connectMongo } = await import('./mongodb/connection.js');
    const { readCollections } = await import('./mongodb/catalog.js');
    const client = await connectMongo(uri, 'source');
    try {
      return (await readCollections(client.db())).map((c) => ({ schema: c.database, name: c.name, view: c.type === 'view', columns: [] }));
    } finally {
      await client.close();
    }
  },
};

export const ENGINES: readonly Engine[] = [postgresql, mysql, mongodb];

export function engineNamed(name: string): Engine {
  const engine = ENGINES.find((e) => e.name === name);
  if (!engine) throw new ReplibyteError(`unknown database type ${name}: use ${ENGINES.map((e) => e.name).join(', ')}`);
  return engine;
}

/** The engine a connection URI speaks to, by its scheme; `what` names the URI's config key. */
export function engineForUri(uri: string, what: string): Engine {
  const engine = ENGINES.find((e) => e.recognisesUri(uri));
  if (engine) return engine;
  const scheme = /^([a-z0-9+.-]+):/i.exec(uri)?.[1] ?? 'unknown';
  throw new ReplibyteError(`${what}: ${scheme}:// is not a database this build supports (${ENGINES.map((e) => e.label).join(', ')})`);
}

/** The engine a dump was made from, by its manifest. */
export function engineForDump(manifest: Manifest): Engine {
  const engine = ENGINES.find((e) => e.madeDump(manifest.engine.kind));
  if (!engine) throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database, which this build cannot restore`);
  return engine;
}
