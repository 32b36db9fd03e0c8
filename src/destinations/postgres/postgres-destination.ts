import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { countNewlines } from '../../dump/chunk-streams.js';
import type { Manifest, ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { qualifiedName, quoteIdentifier } from '../../sources/postgres/catalog.js';
import { connectPostgres, redactUri } from '../../sources/postgres/connection.js';
import type { PartReader, RestoreSummary, RestoreTarget } from '../destination.js';
import { executeScript } from './script-executor.js';

export interface PostgresDestinationOptions {
  uri: string;
  /** Drop what the dump is about to create first (the default, as in the original). */
  wipe: boolean;
}

/**
 * Restores a PostgreSQL dump in one transaction: the wipe, the schema, the rows and the constraints
 * either all land or none does. pg_restore's order: pre-data, rows, post-data (indexes, constraints,
 * triggers), so that constraints are checked against the loaded data.
 */
export class PostgresDestination implements RestoreTarget {
  constructor(private readonly options: PostgresDestinationOptions) {}

  async restore(manifest: Manifest, readPart: PartReader, reporter: Reporter): Promise<RestoreSummary> {
    if (manifest.engine.kind !== 'postgresql') {
      throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database; it cannot be restored into PostgreSQL`);
    }
    const where = `destination ${redactUri(this.options.uri)}`;
    const client = await connectPostgres(this.options.uri, 'destination');
    try {
      await this.refuseSourceItself(client, manifest, where);
      await client.query('BEGIN');
      const started = Date.now();
      const dataParts = manifest.parts.filter((part) => part.kind === 'table-data');
      reporter.progress?.({
        type: 'start',
        operation: 'restore',
        tables: dataParts.length,
        estimatedRows: manifest.totals.rows,
        estimatedBytes: dataParts.reduce((sum, part) => sum + part.rawBytes, 0),
      });
      if (this.options.wipe) await this.wipe(client, manifest, reporter);
      let rows = 0;
      let tables = 0;
      for (const part of manifest.parts) {
        try {
          if (part.kind === 'sql') await executeScript(client, readPart(part), part.label);
          else {
            rows += await this.loadTable(client, part, readPart, reporter);
            tables += 1;
          }
        } catch (error) {
          throw withContext(`restoring ${part.label}`, error);
        }
      }
      await client.query('COMMIT');
      reporter.progress?.({
        type: 'end',
        operation: 'restore',
        tables,
        rows,
        bytesIn: manifest.totals.storedBytes,
        bytesOut: dataParts.reduce((sum, part) => sum + part.rawBytes, 0),
        seconds: (Date.now() - started) / 1000,
      });
      return { tables, rows, outcome: `restored ${tables} tables and ${rows} rows into ${where}` };
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      const left = rolledBack
        ? `nothing was changed in ${where} (the restore ran in one transaction, rolled back)`
        : `the connection to ${where} was lost; the server rolls back the unfinished transaction, so nothing should have changed`;
      const wrapped = withContext('restore failed', error);
      throw new ReplibyteError(`${wrapped.message}\n${left}`, wrapped.hint);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async refuseSourceItself(client: pg.Client, manifest: Manifest, where: string): Promise<void> {
    if (!manifest.source.systemIdentifier || !manifest.source.database) return;
    const identity = await client
      .query<{ id: string; db: string }>('SELECT system_identifier::text AS id, current_database() AS db FROM pg_control_system()')
      .then((result) => result.rows[0])
      .catch(() => undefined);
    if (identity && identity.id === manifest.source.systemIdentifier && identity.db === manifest.source.database) {
      throw new ReplibyteError(`refusing to restore into ${where}: it is the database dump ${manifest.name} was taken from`);
    }
  }

  private async wipe(client: pg.Client, manifest: Manifest, reporter: Reporter): Promise<void> {
    const schemas = manifest.schemas.length > 0 ? manifest.schemas : ['public'];
    const { rows } = await client.query<{ schema: string; relations: string; routines: string }>(
      `SELECT n.nspname AS schema,
         (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','f'))::text AS relations,
         (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)::text AS routines
       FROM pg_namespace n WHERE n.nspname = ANY($1) ORDER BY 1`,
      [schemas],
    );
    for (const row of rows) {
      await client.query(`DROP SCHEMA ${quoteIdentifier(row.schema)} CASCADE`);
      reporter.info(`wipe: dropped schema ${row.schema} (${row.relations} tables and views, ${row.routines} functions)`);
    }
    // pg_dump does not create `public` (every database has one), so give it back.
    if (schemas.includes('public')) await client.query('CREATE SCHEMA IF NOT EXISTS public');
  }

  private async loadTable(client: pg.Client, part: ManifestPart, readPart: PartReader, reporter: Reporter): Promise<number> {
    const columns = (part.columns ?? []).map(quoteIdentifier).join(', ');
    const target = qualifiedName(part.schema!, part.table!);
    const copy = client.query(copyFrom(`COPY ${target} (${columns}) FROM STDIN`));
    reporter.progress?.({ type: 'table-start', table: part.label, estimatedRows: part.rows ?? 0, estimatedBytes: part.rawBytes });
    await pipeline(Readable.from(counted(readPart(part), part.label, reporter)), copy);
    reporter.progress?.({ type: 'table-end', table: part.label, rows: copy.rowCount, bytes: part.rawBytes });
    const loaded = copy.rowCount;
    if (loaded !== part.rows) {
      throw new ReplibyteError(`${part.label}: loaded ${loaded} rows, the manifest says ${part.rows}`);
    }
    return loaded;
  }
}

/** Passes a part's bytes through, telling the reporter how many rows and bytes went by. */
async function* counted(data: AsyncIterable<Buffer>, table: string, reporter: Reporter): AsyncGenerator<Buffer> {
  if (!reporter.progress) {
    yield* data;
    return;
  }
  let rows = 0;
  let bytes = 0;
  for await (const piece of data) {
    rows += countNewlines(piece);
    bytes += piece.length;
    reporter.progress({ type: 'table-progress', table, rows, bytes });
    yield piece;
  }
}
