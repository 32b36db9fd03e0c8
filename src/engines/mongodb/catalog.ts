import { BSON, type Db, type Document } from 'mongodb';

/** What a dump keeps of a collection besides its documents: what `create` and `createIndexes` need. */
export interface CollectionInfo {
  database: string;
  name: string;
  type: 'collection' | 'timeseries' | 'view';
  /** listCollections' `options`: validator, capped/size/max, timeseries, viewOn/pipeline, collation… */
  options: Document;
  /** listIndexes' specs (the `_id_` index included; it is created with the collection). */
  indexes: Document[];
}

/**
 * The collections of a database, as listCollections and listIndexes give them. System collections
 * (`system.*`, which include the buckets behind time series) are left out: the server makes them.
 */
export async function readCollections(db: Db): Promise<CollectionInfo[]> {
  const entries = await db.listCollections({}, { nameOnly: false }).toArray();
  const collections: CollectionInfo[] = [];
  for (const entry of entries.sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
    const name = String(entry.name);
    if (name.startsWith('system.')) continue;
    const type = entry.type === 'view' ? 'view' : entry.type === 'timeseries' ? 'timeseries' : 'collection';
    const indexes = type === 'view' ? [] : await db.collection(name).listIndexes().toArray();
    collections.push({ database: db.databaseName, name, type, options: (entry.options as Document | undefined) ?? {}, indexes });
  }
  return collections;
}

/**
 * One line of the `mongodb-collections-jsonl` part: the collection's metadata as mongodump writes it to
 * `<collection>.metadata.json` (options, indexes, type), in canonical Extended JSON so that every BSON
 * type in a validator or a partial index filter survives.
 */
export function collectionMetadataLine(collection: CollectionInfo): string {
  return `${BSON.EJSON.stringify(
    {
      db: collection.database,
      collection: collection.name,
      metadata: { options: collection.options, indexes: collection.indexes, collectionName: collection.name, type: collection.type },
    },
    { relaxed: false },
  )}\n`;
}

export function parseCollectionMetadataLine(line: string): CollectionInfo {
  const parsed = BSON.EJSON.parse(line, { relaxed: false }) as { db: string; collection: string; metadata: Document };
  return metadataToCollection(parsed.db, parsed.collection, parsed.metadata);
}

/** From mongodump's metadata document (`options`, `indexes`, `type`) to a CollectionInfo. */
export function metadataToCollection(database: string, name: string, metadata: Document): CollectionInfo {
  const type = metadata.type === 'view' ? 'view' : metadata.type === 'timeseries' ? 'timeseries' : 'collection';
  return { database, name, type, options: (metadata.options as Document | undefined) ?? {}, indexes: (metadata.indexes as Document[] | undefined) ?? [] };
}
