import type pg from 'pg';
import type { Connection as MysqlConnection } from 'mysql2/promise';
import type { MysqlCatalog } from '../engines/mysql/catalog.js';
import { analyzeConfig, formatKeyPath, readConfigText, type Config, type ConfigProblem } from '../config/load.js';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { openDatastore } from '../datastores/open.js';
import type { Datastore } from '../datastores/datastore.js';
import { quoteMysqlIdentifier } from '../engines/mysql/identifiers.js';
import { redactSecrets } from '../engines/uri-schemes.js';
import { errorMessage, ReplibyteError } from '../errors.js';
import { selectTables, type NamedTable, type TableSelection } from '../selection/table-selection.js';
import type { ProposalSources, StrictCheck } from './strict.js';
import { readCatalog, qualifiedName, quoteIdentifier, type Catalog } from '../engines/postgres/catalog.js';
import { connectPostgres, redactUri } from '../engines/postgres/connection.js';
import { checkTransforms, type TableColumns, type TransformPlan } from '../transformers/plan.js';
import { checkFixedValues } from '../transformers/fixed-values.js';
import { checkValuesInPostgres } from '../engines/postgres/value-check.js';
import type { TransformerRegistry } from '../transformers/registry.js';
import { resolveSalt } from '../transformers/salt.js';
import { unquote } from '../selection/table-selection.js';

export interface TablePreview {
  schema: string;
  table: string;
  /** The transformed columns, in table order. */
  columns: string[];
  /** Per sampled row: the columns' values before and after. */
  rows: Array<{ before: Array<string | null>; after: Array<string | null> }>;
}

export interface CheckReport {
  origin: string;
  /** Every problem found, in file order. */
  problems: ConfigProblem[];
  /** The source the config was checked against (redacted), when it could be reached. */
  checkedAgainst?: string;
  previews: TablePreview[];
  /** Strict mode: the scan's proposal for the undecided columns, a `source:` block to merge. */
  strictProposal?: string;
}

export interface CheckOptions {
  registry: TransformerRegistry;
  env?: NodeJS.ProcessEnv;
  /** Sample rows of each transformed table, before and after (only when the config has no problem). */
  previewRows?: number;
  /** `--strict`: every dumped column must be transformed or kept (as `source.strict: true`). */
  strict?: boolean;
}

/**
 * `config check`: the config's own problems (YAML, keys, types) and, against the live source's schema,
 * every table and column it names, every transformer and whether it can write its column's type, and the
 * subset's start table. Everything is reported at once, with its line and column, before a long run.
 */
export async function checkConfig(path: string, options: CheckOptions): Promise<CheckReport> {
  const text = await readConfigText(path);
  const { config, problems } = analyzeConfig(text, path, options.env ?? process.env);
  const report: CheckReport = { origin: path, problems, previews: [] };
  // The same modules `dump create` loads, so a config that dumps also checks (and a broken module is a problem with its line).
  if (config) problems.push(...(await loadCustomModules(config, options.registry)));
  const uri = config?.source?.connection_uri;
  const strict = options.strict === true || config?.source?.strict === true;
  if (config && uri) {
    const { engineForUri } = await import('../engines/index.js');
    const engine = engineForUri(uri, 'source.connection_uri');
    await engine.check?.(report, config, uri, { ...options, strict });
  }
  // What `dump create` and `dump restore` would refuse later: the store, and the destination if set.
  if (config) problems.push(...(await checkDatastore(config)), ...(await checkDestination(config)));
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return report;
}

/** PostgreSQL: the tables, columns, transformers, subset and strict mode, in one READ ONLY snapshot. */
export async function checkPostgres(report: CheckReport, config: Config, uri: string, options: CheckOptions & { strict: boolean }): Promise<void> {
  const { strict } = options;
  const client = await connectPostgres(uri, 'source');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const catalog = await readCatalog(client);
    report.checkedAgainst = redactUri(uri);
    const selection = checkSelection(config, catalog, report.problems);
    const { salt } = resolveSalt(config);
    const { plan, problems: transformProblems } = checkTransforms(config, catalog.tables, options.registry, salt, dumpedColumns, catalog.foreignKeys);
    report.problems.push(...transformProblems);
    if (transformProblems.length === 0) {
      report.problems.push(...(await checkFixedValues(config, catalog.tables, plan.transformed, (values) => checkValuesInPostgres(client, values))));
    }
    report.problems.push(...(await checkSubset(client, config, catalog)));
    if (strict && selection && transformProblems.length === 0) {
      const { readTableAncestors, readPrimaryKeys, postgresSampler } = await import('../scan/source-scan.js');
      const ancestry = await readTableAncestors(client);
      await checkStrict(report, {
        config,
        tables: catalog.tables,
        dataTables: catalog.tables.filter((table) => table.kind === 'r' && selection.hasData(table)),
        transformed: plan.transformed,
        ancestors: (table) => ancestry.get(JSON.stringify([table.schema, table.name])) ?? [],
        }, { registry: options.registry, foreignKeys: catalog.foreignKeys, primaryKeys: await readPrimaryKeys(client), sampler: postgresSampler(client) });
    }
    if (options.previewRows && report.problems.length === 0) report.previews = await preview(client, catalog, plan, options.previewRows);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** Imports every custom transformer module the config names; one that fails is a problem at its `module` option. */
async function loadCustomModules(config: Config, registry: TransformerRegistry): Promise<ConfigProblem[]> {
  const failures = await registry.customModules.load(config);
  return failures.map(({ at, error }) => ({ keyPath: formatKeyPath(at), message: error.message, ...config.locate(at) }));
}

/** skip, skip_data and only_tables entries that match no table (selectTables reports them as text). */
function checkSelection(config: Config, catalog: { database: string; tables: NamedTable[] }, problems: ConfigProblem[]): TableSelection | undefined {
  try {
    return selectTables(config, catalog.tables, `the source database ${catalog.database}`);
  } catch (error) {
    if (!(error instanceof ReplibyteError)) throw error;
    problems.push(...error.message.split('\n').map((line) => {
      const match = /^.*?:(\d+):(\d+): (\S+): (.*)$/.exec(line);
      return match ? { keyPath: match[3]!, message: match[4]!, line: Number(match[1]), column: Number(match[2]) } : { keyPath: '', message: line };
    }));
    return undefined;
  }
}

/** Strict mode: each table with undecided columns is a problem; the scan's proposal decides them. */
async function checkStrict(report: CheckReport, check: StrictCheck, sources: ProposalSources): Promise<void> {
  const { findUndecided, describeUndecided, proposeForUndecided } = await import('./strict.js');
  const undecided = findUndecided(check);
  if (undecided.length === 0) return;
  const path = check.config.source?.keep ? ['source', 'keep'] : ['source'];
  const at = { keyPath: formatKeyPath(path), ...check.config.locate(path) };
  describeUndecided(undecided).forEach((line, i) => {
    const count = undecided[i]!.columns.length;
    report.problems.push({ ...at, message: `strict mode: ${line} ${count === 1 ? 'is' : 'are'} neither transformed nor declared safe in source.keep` });
  });
  report.strictProposal = await proposeForUndecided(undecided, sources);
}

/** MySQL/MariaDB: the tables, columns and transformers the config names, and strict mode, in one snapshot. */
export async function checkMysql(report: CheckReport, config: Config, uri: string, options: CheckOptions & { strict: boolean }): Promise<void> {
  const { registry, strict, previewRows } = options;
  const { connectMysql } = await import('../engines/mysql/connection.js');
  const { readMysqlCatalog } = await import('../engines/mysql/catalog.js');
  const connection = await connectMysql(uri, 'source');
  try {
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const catalog = await readMysqlCatalog(connection);
    report.checkedAgainst = redactUri(uri);
    const selection = checkSelection(config, catalog, report.problems);
    const { salt } = resolveSalt(config);
    const columnsOf = (table: TableColumns) => dumpedColumns(table);
    const { plan, problems } = checkTransforms(config, catalog.tables, registry, salt, columnsOf, catalog.foreignKeys);
    report.problems.push(...problems, ...(await checkMysqlSubset(connection, config, catalog)));
    if (problems.length === 0) {
      const { checkValuesInMysql } = await import('../engines/mysql/value-check.js');
      report.problems.push(...(await checkFixedValues(config, catalog.tables, plan.transformed, (values) => checkValuesInMysql(() => connectMysql(uri, 'source'), values))));
    }
    if (strict && selection && problems.length === 0) {
      const { readMysqlPrimaryKeys, mysqlSampler } = await import('../scan/source-scan.js');
      await checkStrict(report, {
        config,
        tables: catalog.tables,
        dataTables: catalog.tables.filter((table) => table.kind === 'table' && selection.hasData(table)),
        transformed: plan.transformed,
      }, { registry, foreignKeys: catalog.foreignKeys, primaryKeys: await readMysqlPrimaryKeys(connection), sampler: mysqlSampler(connection) });
    }
    if (previewRows && report.problems.length === 0) report.previews = await previewMysql(connection, catalog, plan, previewRows);
  } finally {
    await connection.query('ROLLBACK').catch(() => undefined);
    connection.destroy();
  }
}

/** The subset's start table must exist and have a primary key (the subset follows keys from it). */
async function checkSubset(client: pg.Client, config: Config, catalog: Catalog): Promise<ConfigProblem[]> {
  const subset = config.source?.database_subset;
  if (!subset?.table || !subset.database) return []; // targets are checked by dump create's plan
  const path = ['source', 'database_subset', 'table'];
  const at = { keyPath: formatKeyPath(path), ...config.locate(path) };
  const schema = unquote(subset.database);
  const name = unquote(subset.table);
  const table = catalog.tables.find((t) => t.schema === schema && t.name === name);
  if (!table) return [{ ...at, message: `no table ${schema}.${name} in the source (the subset's start table)` }];
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_index WHERE indrelid = $1::regclass AND indisprimary`,
    [qualifiedName(schema, name)],
  );
  if (!rowCount) return [{ ...at, message: `${schema}.${name} has no primary key: a subset cannot start from it` }];
  // In a savepoint: a condition that fails must not abort the snapshot the other checks read.
  await client.query('SAVEPOINT subset_where');
  return checkWhereCondition(config, async (condition) => {
    try {
      // As the subset runs it: on the start table as `t`, one statement (a bound parameter), no row read.
      await client.query(`SELECT 1 FROM ${qualifiedName(schema, name)} t WHERE (${condition}) LIMIT $1`, [0]);
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT subset_where');
      throw error;
    }
  });
}

/**
 * A `where` strategy's condition, run against the source with LIMIT 0 by `run`: one that the server
 * refuses (a misspelt column, a syntax error) is a problem here, not a failed `dump create` later.
 */
async function checkWhereCondition(config: Config, run: (condition: string) => Promise<unknown>): Promise<ConfigProblem[]> {
  const subset = config.source?.database_subset;
  const condition = subset?.strategy_options?.condition;
  if (subset?.strategy_name !== 'where' || typeof condition !== 'string' || condition.trim() === '') return [];
  try {
    await run(condition);
    return [];
  } catch (error) {
    const path = ['source', 'database_subset', 'strategy_options', 'condition'];
    return [{ keyPath: formatKeyPath(path), message: `the source refuses the condition: ${redactSecrets(errorMessage(error))}`, ...config.locate(path) }];
  }
}

/** MySQL: the subset's start table must exist, and a `where` condition must run on it. */
async function checkMysqlSubset(connection: Connection, config: Config, catalog: { tables: NamedTable[] }): Promise<ConfigProblem[]> {
  const subset = config.source?.database_subset;
  if (!subset?.table || !subset.database) return []; // targets are checked by dump create's plan
  const path = ['source', 'database_subset', 'table'];
  const name = unquote(subset.table);
  const database = unquote(subset.database);
  const table = catalog.tables.find((t) => t.schema === database && t.name === name);
  if (!table) return [{ keyPath: formatKeyPath(path), message: `no table ${database}.${name} in the source (the subset's start table)`, ...config.locate(path) }];
  return checkWhereCondition(config, (condition) => connection.query(`SELECT 1 FROM ${quoteMysqlIdentifier(name)} t WHERE (${condition}) LIMIT 0`));
}

/**
 * The datastore `dump create` writes to: reachable, its credentials accepted, writable. A probe object
 * is written at the top of the store and deleted (no dump name starts with a dot, so nothing lists it).
 */
export async function checkDatastore(config: Config): Promise<ConfigProblem[]> {
  const kind = config.datastore.local_disk ? 'local_disk' : config.datastore.aws ? 'aws' : 'gcp';
  const path = ['datastore', kind];
  let datastore: Datastore | undefined;
  let step = 'open it';
  try {
    datastore = await openDatastore(config);
    step = 'list it';
    await datastore.listTopLevel();
    const probe = `.replibyte-config-check-${randomBytes(6).toString('hex')}`;
    step = 'write to it';
    await datastore.putAtomic(probe, Buffer.from('written by replibyte config check, which deletes it\n'));
    step = 'delete from it';
    await datastore.delete(probe);
    return [];
  } catch (error) {
    const store = datastore ? `${datastore.description}: ` : '';
    return [{ keyPath: formatKeyPath(path), message: `${store}cannot ${step}: ${redactSecrets(errorMessage(error))}`, ...config.locate(path) }];
  } finally {
    await datastore?.close().catch(() => undefined);
  }
}

/** `destination.connection_uri`, when set: the server answers and accepts the credentials. */
export async function checkDestination(config: Config): Promise<ConfigProblem[]> {
  const uri = config.destination?.connection_uri;
  if (!uri) return [];
  const path = ['destination', 'connection_uri'];
  try {
    const { engineForUri } = await import('../engines/index.js');
    const engine = engineForUri(uri, 'destination.connection_uri');
    if (engine.name === 'postgresql') {
      const client = await connectPostgres(uri, 'destination');
      await client.end().catch(() => undefined);
    } else if (engine.name === 'mysql') {
      const { connectMysql } = await import('../engines/mysql/connection.js');
      (await connectMysql(uri, 'destination')).destroy();
    } else {
      const { connectMongo } = await import('../engines/mongodb/connection.js');
      await (await connectMongo(uri, 'destination')).close();
    }
    return [];
  } catch (error) {
    return [{ keyPath: formatKeyPath(path), message: redactSecrets(errorMessage(error)), ...config.locate(path) }];
  }
}

/** `--preview` on MySQL/MariaDB: the first rows of each transformed table, read as the dump reads them. */
async function previewMysql(connection: MysqlConnection, catalog: MysqlCatalog, plan: TransformPlan, rows: number): Promise<TablePreview[]> {
  const { quoteMysqlIdentifier } = await import('../engines/mysql/identifiers.js');
  const { literalKindOf } = await import('../engines/mysql/column-types.js');
  const { textOf } = await import('../encode/mysql/sql-literal.js');
  const previews: TablePreview[] = [];
  for (const table of catalog.tables.filter((t) => t.kind === 'table')) {
    const transforms = plan.tables.get(JSON.stringify([table.schema, table.name]))?.transforms ?? [];
    if (transforms.length === 0) continue;
    const columns = dumpedColumns(table);
    const kinds = columns.map((name) => literalKindOf(table.columns.find((c) => c.name === name)!));
    // typeCast: false gives the text protocol's bytes, exactly what the dump's transformers are handed.
    const [result] = await connection.query({
      sql: `SELECT ${columns.map(quoteMysqlIdentifier).join(', ')} FROM ${quoteMysqlIdentifier(table.name)} LIMIT ${Math.floor(rows)}`,
      rowsAsArray: true,
      typeCast: false,
    });
    const ordered = [...transforms].sort((a, b) => a.index - b.index);
    previews.push({
      schema: table.schema,
      table: table.name,
      columns: ordered.map((t) => columns[t.index]!),
      rows: (result as unknown as Array<Array<Buffer | null>>).map((raw) => {
        const values = columns.map((_, i) => textOf(kinds[i]!, raw[i] ?? null));
        const view = { get: (column: string) => values[columns.indexOf(column)] ?? null };
        return { before: ordered.map((t) => values[t.index] ?? null), after: ordered.map((t) => t.apply(values[t.index] ?? null, view)) };
      }),
    });
  }
  return previews;
}

async function preview(client: pg.Client, catalog: Catalog, plan: TransformPlan, rows: number): Promise<TablePreview[]> {
  const previews: TablePreview[] = [];
  // The tables whose rows the dump reads, each under its own plan: a partitioned table's rows are
  // previewed in its partitions (an entry named on a partition may differ), an inheritance parent's
  // without its children's.
  for (const table of catalog.tables.filter((t) => t.kind === 'r')) {
    const transforms = plan.tables.get(JSON.stringify([table.schema, table.name]))?.transforms ?? [];
    if (transforms.length === 0) continue;
    const columns = dumpedColumns(table);
    const list = columns.map((c, i) => `${quoteIdentifier(c)}::text AS c${i}`).join(', ');
    const result = await client.query<Record<string, string | null>>(`SELECT ${list} FROM ONLY ${qualifiedName(table.schema, table.name)} LIMIT ${Math.floor(rows)}`);
    const ordered = [...transforms].sort((a, b) => a.index - b.index);
    previews.push({
      schema: table.schema,
      table: table.name,
      columns: ordered.map((t) => columns[t.index]!),
      rows: result.rows.map((row) => {
        const values = columns.map((_, i) => row[`c${i}`] ?? null);
        const view = { get: (column: string) => values[columns.indexOf(column)] ?? null };
        return { before: ordered.map((t) => values[t.index] ?? null), after: ordered.map((t) => t.apply(values[t.index] ?? null, view)) };
      }),
    });
  }
  return previews;
}

function dumpedColumns(table: TableColumns): string[] {
  return table.columns.filter((column) => !column.generated).map((column) => column.name);
}
