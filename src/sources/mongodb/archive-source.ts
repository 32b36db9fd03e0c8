import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ManifestMetadata } from '../../dump/dump-writer.js';
import { DocumentPieces, MAX_DOCUMENT_BYTES, splitBsonDocuments } from '../../encode/bson-documents.js';
import { Crc64, readMongoArchive } from '../../encode/mongo-archive.js';
import { ReplibyteError, withContext } from '../../errors.js';
import { selectTables } from '../../selection/table-selection.js';
import type { DumpContext, DumpSource, PartSink } from '../source.js';
import { collectionMetadataLine, metadataToCollection, type CollectionInfo } from '../../engines/mongodb/catalog.js';
import { reportPathStatistics } from './mongo-source.js';
import { planDocumentTransforms } from './transform-plan.js';
import { reportPartWritten } from '../../reporting/reporter.js';

interface Spool {
  file: string;
  stream: WriteStream;
  crc: Crc64;
  documents: number;
}

/**
 * `dump create -s mongodb -i`: a `mongodump --archive` stream. mongodump interleaves the segments of
 * collections dumped in parallel, so the documents are first spooled to one temporary file per
 * collection (memory stays flat; the disk holds one copy of the archive's data), each checked against
 * the CRC of its EOF header, then written as parts exactly as a live dump writes them.
 */
export class MongoArchiveSource implements DumpSource {
  private directory: string | undefined;

  constructor(private readonly input: Readable) {}

  async dump(sink: PartSink, context: DumpContext): Promise<ManifestMetadata> {
    this.directory = await mkdtemp(join(tmpdir(), 'replibyte-mongo-archive-'));
    const collections: CollectionInfo[] = [];
    const spools = new Map<string, Spool>();
    let serverVersion = '';
    for await (const event of readMongoArchive(this.input)) {
      const key = JSON.stringify([event.type === 'header' ? '' : event.db, event.type === 'header' ? '' : event.collection]);
      if (event.type === 'header') serverVersion = String(event.header.server_version ?? '');
      else if (event.type === 'collection') {
        if (event.collection.startsWith('system.')) continue;
        collections.push(metadataToCollection(event.db, event.collection, event.metadata));
      } else if (event.type === 'document') {
        if (event.raw.length > MAX_DOCUMENT_BYTES) {
          throw new ReplibyteError(`mongodump archive: a document of ${event.db}.${event.collection} is ${event.raw.length} bytes, over MongoDB's 16 MiB document limit`);
        }
        let spool = spools.get(key);
        if (!spool) {
          const file = join(this.directory, `${spools.size}.bson`);
          spool = { file, stream: createWriteStream(file), crc: new Crc64(), documents: 0 };
          spools.set(key, spool);
        }
        spool.crc.update(event.raw);
        spool.documents += 1;
        if (!spool.stream.write(event.raw)) await once(spool.stream, 'drain');
      } else {
        const spool = spools.get(key);
        const expected = event.crc;
        const actual = spool ? spool.crc.digest() : new Crc64().digest();
        if (!expected.isZero() && !expected.equals(actual)) {
          throw new ReplibyteError(`mongodump archive: the documents of ${event.db}.${event.collection} do not match their CRC: the archive is damaged`);
        }
      }
    }
    for (const spool of spools.values()) {
      spool.stream.end();
      await once(spool.stream, 'close');
    }
    const databases = [...new Set(collections.map((c) => c.database))];
    if (databases.length > 1) {
      throw new ReplibyteError(`the archive holds several databases (${databases.join(', ')}): dump one at a time (mongodump --db NAME --archive)`);
    }
    const database = databases[0] ?? 'test';
    const named = collections.map((c) => ({ schema: database, name: c.name }));
    const selection = selectTables(context.config, named, 'the mongodump archive');
    const kept = collections.filter((c) => !selection.isExcluded({ schema: database, name: c.name }));
    const transforms = planDocumentTransforms(context.config, kept, context.registry, context.salt);
    context.reporter.info(`reading a mongodump archive of ${database} (MongoDB ${serverVersion || 'unknown version'}): ${kept.length} collections`);
    await sink.writePart(
      { kind: 'collections', section: 'pre-data', label: 'collections and indexes', encoding: 'mongodb-collections-jsonl' },
      (async function* () {
        for (const collection of kept) yield Buffer.from(collectionMetadataLine(collection));
      })(),
    );
    for (const collection of kept) {
      if (collection.type === 'view' || !selection.hasData({ schema: database, name: collection.name })) continue;
      const spool = spools.get(JSON.stringify([database, collection.name]));
      const transform = transforms.forCollection(database, collection.name);
      const label = `${database}.${collection.name}`;
      const pieces = spool ? (createReadStream(spool.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) : (async function* () {})();
      const data = transform ? transformed(pieces, (raw) => transform.applyPieces(raw), label) : pieces;
      try {
        const part = await sink.writePart(
          { kind: 'table-data', section: 'data', label, schema: database, table: collection.name, encoding: 'bson-documents' },
          data,
        );
        reportPartWritten(context.reporter, label, part.rows, 'documents');
      } catch (error) {
        throw withContext(`dumping collection ${label}`, error);
      }
      if (transform) reportPathStatistics(transform, label, context.reporter);
    }
    return {
      engine: { kind: 'mongodb', serverVersion: serverVersion || 'unknown', dumpTool: 'mongodump archive' },
      source: { kind: 'script', database },
      schemas: [database],
      transformed: transforms.plan.transformed,
    };
  }

  async close(): Promise<void> {
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }
}

async function* transformed(pieces: AsyncIterable<Buffer>, apply: (raw: Buffer) => Buffer[], label: string): AsyncGenerator<Buffer> {
  const gathered = new DocumentPieces();
  for await (const raw of splitBsonDocuments(pieces, label)) yield* gathered.add(apply(raw));
  yield* gathered.finish();
}
