import { BSON, type Db, type Document } from 'mongodb';
import { BsonDocumentSplitter, MAX_DOCUMENT_BYTES } from '../../encode/bson-documents.js';
import type { Manifest, ManifestPart } from '../../dump/manifest.js';
import { ReplibyteError, withContext } from '../../errors.js';
import type { Reporter } from '../../reporting/reporter.js';
import { parseCollectionMetadataLine, type CollectionInfo } from '../../engines/mongodb/catalog.js';
import { connectMongo, uriDatabase } from '../../engines/mongodb/connection.js';
import { redactUri } from '../../engines/uri-schemes.js';
import { describeId, EXACT_BSON } from '../../engines/mongodb/document-transform.js';
import type { PartReader, RestoreSummary, RestoreTarget } from '../destination.js';

export interface MongoDestinationOptions {
  uri: string;
  /** Drop the collections the dump holds before creating them (the default). */
  wipe: boolean;
  /** Documents per insert (unordered); a batch is also cut at 8 MiB. */
  batchSize?: number;
}

const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Restores a MongoDB dump through the official driver: collections created with their options, the
 * documents in unordered bulk inserts, then the indexes (building them once over the loaded data is
 * faster than maintaining them during the load), then the views. The database is the one named in the
 * destination URI, or else the source's. MongoDB has no transaction over DDL: a failure leaves what was
 * loaded so far, and the error says so.
 */
export class MongoDestination implements RestoreTarget {
  constructor(private readonly options: MongoDestinationOptions) {}

  /** Commits as it goes (no transaction over DDL): the restore checks every chunk before calling it. */
  readonly atomic = false;

  async restore(manifest: Manifest, readPart: PartReader, reporter: Reporter): Promise<RestoreSummary> {
    if (manifest.engine.kind !== 'mongodb') {
      throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database; it cannot be restored into MongoDB`);
    }
    const databaseName = uriDatabase(this.options.uri) ?? manifest.source.database ?? 'test';
    const where = `destination ${redactUri(this.options.uri)} (database ${databaseName})`;
    const client = await connectMongo(this.options.uri, 'destination');
    try {
      const db = client.db(databaseName);
      const collections = await readMetadata(manifest, readPart);
      try {
        if (this.options.wipe) await this.wipe(db, collections, reporter);
        for (const collection of collections) {
          if (collection.type !== 'view') await db.createCollection(collection.name, creationOptions(collection));
        }
        let documents = 0;
        let loaded = 0;
        for (const part of manifest.parts) {
          if (part.kind !== 'table-data') continue;
          try {
            documents += await this.load(db, part, readPart);
          } catch (error) {
            throw withContext(`restoring ${part.label}`, error);
          }
          loaded += 1;
        }
        for (const collection of collections) {
          const indexes = collection.indexes.filter((index) => index.name !== '_id_').map(indexSpec);
          if (indexes.length > 0) await db.collection(collection.name).createIndexes(indexes as never);
        }
        for (const collection of collections) {
          if (collection.type === 'view') await db.createCollection(collection.name, creationOptions(collection));
        }
        return { tables: loaded, rows: documents, outcome: `restored ${collections.length} collections and ${documents} documents into ${where}` };
      } catch (error) {
        throw withContext(`restoring into ${where} (MongoDB has no transaction over a restore: what was loaded before this error stays)`, error);
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  private async wipe(db: Db, collections: CollectionInfo[], reporter: Reporter): Promise<void> {
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => String(c.name)));
    const victims = collections.filter((c) => existing.has(c.name));
    for (const collection of victims) await db.dropCollection(collection.name);
    if (victims.length > 0) reporter.info(`dropped ${victims.length} collections of ${db.databaseName} first (wipe_database)`);
  }

  private async load(db: Db, part: ManifestPart, readPart: PartReader): Promise<number> {
    const collection = db.collection(part.table!);
    const limit = this.options.batchSize ?? 1000;
    let batch: Document[] = [];
    let bytes = 0;
    let count = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await collection.insertMany(batch, { ordered: false, forceServerObjectId: false });
      count += batch.length;
      batch = [];
      bytes = 0;
    };
    // A document's bytes are decoded in `take`, and let go of before a batch is inserted: nothing holds
    // a 15 MB document's bytes while its decoded form is sent (a generator's frame would).
    const take = (raw: Buffer): boolean => {
      const document = BSON.deserialize(raw, EXACT_BSON);
      if (raw.length > MAX_DOCUMENT_BYTES) {
        throw new ReplibyteError(`document ${describeId(document._id)} is ${raw.length} bytes, over MongoDB's 16 MiB document limit`);
      }
      batch.push(document);
      bytes += raw.length;
      return batch.length >= limit || bytes >= BATCH_BYTES;
    };
    const splitter = new BsonDocumentSplitter(part.label);
    for await (const piece of readPart(part)) {
      const documents = splitter.push(piece);
      while (documents.length > 0) if (take(documents.shift()!)) await flush();
    }
    splitter.end();
    await flush();
    if (part.rows !== undefined && count !== part.rows) {
      throw new ReplibyteError(`${part.label}: loaded ${count} documents, the manifest says ${part.rows}`);
    }
    return count;
  }
}

async function readMetadata(manifest: Manifest, readPart: PartReader): Promise<CollectionInfo[]> {
  const collections: CollectionInfo[] = [];
  for (const part of manifest.parts) {
    if (part.encoding !== 'mongodb-collections-jsonl') continue;
    const pieces: Buffer[] = [];
    for await (const piece of readPart(part)) pieces.push(piece);
    for (const line of Buffer.concat(pieces).toString('utf8').split('\n')) {
      if (line.trim()) collections.push(parseCollectionMetadataLine(line));
    }
  }
  return collections;
}

/** listCollections' options are createCollection's options, less what the server assigns itself. */
function creationOptions(collection: CollectionInfo): Document {
  const { uuid: _uuid, ...options } = collection.options;
  return options;
}

/** listIndexes' spec without the fields createIndexes refuses or sets itself. */
function indexSpec(index: Document): Document {
  const { ns: _ns, v: _v, ...spec } = index;
  return spec;
}

