import type { Connection } from 'mysql2/promise';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import { InsertBatcher } from '../../encode/mysql/insert-batcher.js';
import type { ColumnTransform } from '../../transformers/row-transform.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { selectTables, type TableSelection } from '../../selection/table-selection.js';
import { planTransforms, tableKey, type TransformPlan } from '../../transformers/plan.js';
import { refuseFixedValues } from '../../transformers/fixed-values.js';
import { checkValuesInMysql } from '../../engines/mysql/value-check.js';
import { redactUri } from '../../engines/postgres/connection.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { computeMysqlSubset, type MysqlSubset } from '../../subset/mysql/mysql-subset-run.js';
import { prepareMysqlSubsetTables, type MysqlSubsetTables } from '../../subset/mysql/mysql-subset.js';
import { readMysqlCatalog, type MysqlCatalog, type MysqlTableInfo } from '../../engines/mysql/catalog.js';
import { literalKindOf, type LiteralKind } from '../../engines/mysql/column-types.js';
import { connectMysql, explainLostMysql, streamingConnection } from '../../engines/mysql/connection.js';
import { quoteMysqlIdentifier } from '../../engines/mysql/identifiers.js';
import { streamRowPackets } from '../../engines/mysql/row-stream.js';
import { RowPacketEncoder } from '../../encode/mysql/row-packet-encoder.js';
import { postDataScript, preDataScript } from '../../engines/mysql/schema-script.js';
import { reportPartWritten } from '../../reporting/reporter.js';

export const MYSQL_DUMP_TOOL = 'replibyte SHOW CREATE + SELECT';

/**
 * A live MySQL or MariaDB database, dumped in one consistent snapshot: `START TRANSACTION WITH
 * CONSISTENT SNAPSHOT, READ ONLY` (what mysqldump --single-transaction does), the schema from
 * SHOW CREATE …, and the rows streamed by a SELECT per table in that transaction, written as multi-row
 * INSERT statements of bounded size. Values are written from the bytes the server sent: nothing is
 * parsed into JavaScript numbers or dates, so decimals, zero dates and blobs travel unchanged.
 *
 * With `database_subset`, the temporary tables of kept keys are created before the transaction begins
 * (a read-only transaction may write temporary tables but not create them), the walk runs in the
 * snapshot on this one connection, and a table's kept rows are selected through them: see src/subset/mysql/.
 */
export class MysqlSource implements DumpSource {
  private constructor(
    private readonly uri: string,
    private readonly connection: Connection,
    readonly catalog: MysqlCatalog,
    private readonly subsetTables?: MysqlSubsetTables,
  ) {}

  static async open(uri: string, options: { subset?: boolean } = {}): Promise<MysqlSource> {
    const connection = await connectMysql(uri, 'source');
    try {
      await connection.query("SET SESSION sql_mode = ''");
      await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const subsetTables = options.subset
        ? await prepareMysqlSubsetTables(connection).catch((error: unknown) => {
            throw withContext('source.database_subset: creating the temporary tables of kept keys (the user needs the CREATE TEMPORARY TABLES privilege)', error);
          })
        : undefined;
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const catalog = await readMysqlCatalog(connection);
      return new MysqlSource(uri, connection, catalog, subsetTables);
    } catch (error) {
      connection.destroy();
      throw withContext(`reading the source ${redactUri(uri)}`, error);
    }
  }

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    try {
      return await this.dumpEverything(sink, context);
    } catch (error) {
      throw explainLostMysql(error, 'source', this.uri, this.connection);
    }
  }

  private async dumpEverything(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    const { catalog } = this;
    const selection = selectTables(context.config, catalog.tables, `the source database ${catalog.database}`);
    this.checkDependencies(selection);
    const plan = planTransforms(context.config, catalog.tables, context.registry, context.salt, dumpedColumns);
    await refuseFixedValues(context.config, catalog.tables, plan.transformed, (values) => checkValuesInMysql(() => connectMysql(this.uri, 'source'), values));
    if (context.config.source?.strict) await this.enforceStrict(selection, plan, context);
    sink.planned?.(plan.transformed);
    const kept = catalog.tables.filter((t) => !selection.isExcluded(t));
    context.reporter.info(`dumping ${catalog.database} (${catalog.engine === 'mariadb' ? 'MariaDB' : 'MySQL'} ${catalog.serverVersion})`);
    let subset: MysqlSubset | undefined;
    if (context.config.source?.database_subset) {
      if (!this.subsetTables) throw new ReplibyteError('source.database_subset: the source was opened without its temporary tables (open it with { subset: true })');
      subset = await computeMysqlSubset(this.connection, this.subsetTables, catalog, context.config, selection, context.reporter);
    }
    try {
      await sink.writePart({ kind: 'sql', section: 'pre-data', label: 'schema (pre-data)', encoding: 'mysql-sql' }, preDataScript(this.connection, kept));
      for (const table of kept) {
        if (table.kind !== 'table' || !selection.hasData(table)) continue;
        await this.dumpTable(table, plan, sink, context, subset);
      }
      await sink.writePart(
        { kind: 'sql', section: 'post-data', label: 'schema (post-data)', encoding: 'mysql-sql' },
        postDataScript(this.connection, catalog, { tables: new Set(kept.map((t) => t.name)) }),
      );
    } catch (error) {
      throw withContext(`dumping ${redactUri(this.uri)}`, error);
    }
    return {
      engine: { kind: catalog.engine, serverVersion: catalog.serverVersion, dumpTool: MYSQL_DUMP_TOOL },
      source: { kind: 'live', database: catalog.database, systemIdentifier: catalog.systemIdentifier },
      schemas: [catalog.database],
      transformed: plan.transformed,
    };
  }

  /** Strict mode: refuses, before anything is written, while a dumped column is undecided. */
  private async enforceStrict(selection: TableSelection, plan: TransformPlan, context: DumpContext): Promise<void> {
    // Loaded on use: the scan's proposals need faker's name lists, which a plain dump does not.
    const { enforceStrict } = await import('../../check/strict.js');
    const { mysqlSampler, readMysqlPrimaryKeys } = await import('../../scan/source-scan.js');
    const { tables, foreignKeys } = this.catalog;
    await enforceStrict(
      { config: context.config, tables, dataTables: tables.filter((table) => table.kind === 'table' && selection.hasData(table)), transformed: plan.transformed },
      { registry: context.registry, foreignKeys, primaryKeys: await readMysqlPrimaryKeys(this.connection), sampler: mysqlSampler(this.connection) },
    );
  }

  private async dumpTable(table: MysqlTableInfo, plan: TransformPlan, sink: PartSink, context: DumpContext, subset?: MysqlSubset): Promise<void> {
    const columns = dumpedColumns(table);
    const subsetRows = subset?.rowsOf(table, columns) ?? { kind: 'all' };
    const kinds = columns.map((name) => literalKindOf(table.columns.find((c) => c.name === name)!));
    const transforms = plan.tables.get(tableKey(table.schema, table.name))?.transforms ?? [];
    const label = `${table.schema}.${table.name}`;
    // A table the subset does not reach keeps its schema and an empty part: it is a table of the dump, as
    // an empty table is in a full one (the same count in the summary and the restore).
    const whole = `SELECT ${columns.map(quoteMysqlIdentifier).join(', ')} FROM ${quoteMysqlIdentifier(table.name)}`;
    const sql = subsetRows.kind === 'kept' ? subsetRows.select : subsetRows.kind === 'none' ? `${whole} WHERE FALSE` : whole;
    const part = await sink.writePart(
      { kind: 'table-data', section: 'data', label, schema: table.schema, table: table.name, columns, encoding: 'mysql-sql' },
      this.rows(sql, table.name, columns, kinds, transforms),
    );
    reportPartWritten(context.reporter, label, part.rows, 'rows', transforms.length > 0 ? `, ${transforms.length} column(s) transformed` : '');
  }

  private async *rows(sql: string, table: string, columns: string[], kinds: LiteralKind[], transforms: ColumnTransform[]): AsyncGenerator<Buffer> {
    const batcher = new InsertBatcher(table, columns);
    const encoder = new RowPacketEncoder(table, columns, kinds, transforms);
    yield* streamRowPackets(streamingConnection(this.connection), sql, columns.length, {
      row: (buffer, start, end) => encoder.encode(buffer, start, end, batcher),
      finish: () => batcher.finish(),
    });
  }

  /** A kept table whose foreign key points at a skipped table (or at one without rows) cannot be restored. */
  private checkDependencies(selection: TableSelection): void {
    const problems: string[] = [];
    for (const fk of this.catalog.foreignKeys) {
      const from = { schema: fk.schema, name: fk.table };
      const to = { schema: fk.referencedSchema, name: fk.referencedTable };
      if (selection.isExcluded(from) || to.schema !== fk.schema) continue;
      if (selection.isExcluded(to)) {
        problems.push(`${fk.table} references the skipped table ${to.name} (foreign key ${fk.name}): skip ${fk.table} too, or do not skip ${to.name}`);
      } else if (!selection.hasData(to) && selection.hasData(from)) {
        problems.push(`${fk.table} references ${to.name}, whose rows skip_data leaves out (foreign key ${fk.name}): add ${fk.table} to skip_data too`);
      }
    }
    if (problems.length > 0) throw new ReplibyteError(problems.join('\n'));
  }

  /** Ends the read-only transaction by closing the connection (also when a SELECT is still streaming). */
  async close(): Promise<void> {
    this.connection.destroy();
  }
}

/** The columns a SELECT reads and an INSERT writes: generated columns are computed again on restore. */
function dumpedColumns(table: { columns: Array<{ name: string; generated?: boolean }> }): string[] {
  return table.columns.filter((column) => !column.generated).map((column) => column.name);
}
