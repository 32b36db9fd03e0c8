import { BSON, type ClientSession, type Db, type Document, type MongoClient } from 'mongodb';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import { DocumentPieces, MAX_DOCUMENT_BYTES } from '../../encode/bson-documents.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { reportPartWritten } from '../../reporting/reporter.js';
import { selectTables } from '../../selection/table-selection.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { collectionMetadataLine, readCollections, type CollectionInfo } from '../../engines/mongodb/catalog.js';
import { redactUri } from '../../engines/uri-schemes.js';
import { connectMongo } from '../../engines/mongodb/connection.js';
import { describeId, EXACT_BSON, type DocumentTransform } from '../../engines/mongodb/document-transform.js';
import { subsetFilter } from './subset.js';
import { planDocumentTransforms } from './transform-plan.js';

/**
 * A live MongoDB database, read through the official driver only. Every collection (and view) with its
 * options and indexes goes into a `collections` part; the documents of each collection are streamed
 * with a cursor as the raw BSON the server sent (`raw: true`), so every type stays exactly what it was.
 * Only collections with a transformer are decoded and re-encoded.
 *
 * Consistency: on a replica set or a sharded cluster of MongoDB 5.0 or later every read runs in one
 * snapshot session (`readConcern: snapshot`, one cluster time for every collection). A standalone
 * server has no snapshots: reads then run in one causally consistent session, and each collection is
 * read as it is at the moment its cursor runs.
 */
export class MongoSource implements DumpSource {
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly session: ClientSession,
    private readonly serverVersion: string,
    readonly snapshot: boolean,
  ) {}

  static async open(uri: string): Promise<MongoSource> {
    const client = await connectMongo(uri, 'source');
    try {
      const admin = client.db('admin');
      const hello = await admin.command({ hello: 1 });
      const build = await admin.command({ buildInfo: 1 });
      const clustered = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
      const snapshot = clustered && Number(hello.maxWireVersion ?? 0) >= 13;
      const session = snapshot ? client.startSession({ snapshot: true }) : client.startSession({ causalConsistency: true });
      return new MongoSource(client, client.db(), session, String(build.version ?? 'unknown'), snapshot);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw withContext(`reading the source ${redactUri(uri)}`, error);
    }
  }

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    const database = this.db.databaseName;
    const collections = await readCollections(this.db);
    const named = collections.map((c) => ({ schema: database, name: c.name }));
    const selection = selectTables(context.config, named, `the source database ${database}`);
    const kept = collections.filter((c) => !selection.isExcluded({ schema: database, name: c.name }));
    const transforms = planDocumentTransforms(context.config, kept, context.registry, context.salt);
    const subset = subsetFilter(context.config, database, kept);
    sink.planned?.(transforms.plan.transformed);
    context.reporter.info(
      `dumping ${database} (MongoDB ${this.serverVersion}): ${kept.length} collections, ${this.snapshot ? 'one snapshot (readConcern: snapshot)' : 'standalone server: no snapshot, one causally consistent session'}`,
    );

    await sink.writePart(
      { kind: 'collections', section: 'pre-data', label: 'collections and indexes', encoding: 'mongodb-collections-jsonl' },
      metadataLines(kept),
    );
    for (const collection of kept) {
      if (collection.type === 'view' || !selection.hasData({ schema: database, name: collection.name })) continue;
      const transform = transforms.forCollection(database, collection.name);
      const filter = subset?.collection === collection.name ? subset.filter : {};
      const label = `${database}.${collection.name}`;
      try {
        const part = await sink.writePart(
          { kind: 'table-data', section: 'data', label, schema: database, table: collection.name, encoding: 'bson-documents' },
          this.documents(collection, filter, transform),
        );
        reportPartWritten(context.reporter, label, part.rows, 'documents', transform ? `, ${transform.statistics.length} path(s) transformed` : '');
      } catch (error) {
        throw withContext(`dumping collection ${label}`, error);
      }
      if (transform) reportPathStatistics(transform, label, context.reporter);
    }
    return {
      engine: { kind: 'mongodb', serverVersion: this.serverVersion, dumpTool: 'mongodb driver (BSON cursor)' },
      source: { kind: 'live', database },
      schemas: [database],
      transformed: transforms.plan.transformed,
    };
  }

  private async *documents(collection: CollectionInfo, filter: Document, transform: DocumentTransform | undefined): AsyncGenerator<Buffer> {
    const cursor = this.db.collection(collection.name).find(filter, { raw: true, session: this.session, batchSize: 1000 });
    const gathered = new DocumentPieces();
    try {
      for await (const found of cursor) {
        const raw = found as unknown as Buffer;
        if (raw.length > MAX_DOCUMENT_BYTES) {
          const id = BSON.deserialize(raw, EXACT_BSON)._id as unknown;
          throw new ReplibyteError(`document ${describeId(id)} is ${raw.length} bytes, over MongoDB's 16 MiB document limit: it could not be restored`);
        }
        // A transform rewrites the fields its paths start with; the rest of the document (a wide
        // text) goes on as a view of the bytes the driver read, copied neither here nor into a piece.
        yield* gathered.add(transform ? transform.applyPieces(raw) : [raw]);
      }
      yield* gathered.finish();
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.session.endSession().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}

async function* metadataLines(collections: CollectionInfo[]): AsyncGenerator<Buffer> {
  for (const collection of collections) yield Buffer.from(collectionMetadataLine(collection));
}

/** After a collection: a path that matched nothing (a typo leaks what it meant to hide), non-strings left. */
export function reportPathStatistics(transform: DocumentTransform, label: string, reporter: Reporter): void {
  for (const statistics of transform.statistics) {
    if (statistics.matched === 0) {
      reporter.warn(`${label}: the path ${statistics.path} matched nothing in ${transform.documents} documents (check its spelling)`);
    } else if (statistics.notStrings > 0) {
      reporter.warn(`${label}: the path ${statistics.path} reached ${statistics.notStrings} values that are not strings; they were left unchanged`);
    }
  }
}
