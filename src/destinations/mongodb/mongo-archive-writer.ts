import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Long } from 'mongodb';
import { splitBsonDocuments } from '../../encode/bson-documents.js';
import { Crc64, encodeDocument, goInt, magicBytes, TERMINATOR } from '../../encode/mongo-archive.js';
import type { Manifest } from '../../dump/manifest.js';
import { parseCollectionMetadataLine, type CollectionInfo } from '../../engines/mongodb/catalog.js';
import { BSON } from 'mongodb';
import { TOOL_NAME } from '../../version.js';
import type { PartReader } from '../destination.js';

/** Documents per namespace segment: mongorestore reads segments of any length. */
const SEGMENT_DOCUMENTS = 10_000;

/**
 * `dump restore remote -o` for a MongoDB dump: a mongodump archive on `output`, which
 * `mongorestore --archive` loads (and `dump create -s mongodb -i` reads back). Collections are written
 * one after the other (no interleaving), each with its EOF header and CRC.
 */
export async function writeMongoArchive(manifest: Manifest, readPart: PartReader, output: Writable): Promise<void> {
  const write = async (bytes: Buffer) => {
    if (!output.write(bytes)) await once(output, 'drain');
  };
  const collections: CollectionInfo[] = [];
  for (const part of manifest.parts) {
    if (part.encoding !== 'mongodb-collections-jsonl') continue;
    const pieces: Buffer[] = [];
    for await (const piece of readPart(part)) pieces.push(piece);
    for (const line of Buffer.concat(pieces).toString('utf8').split('\n')) if (line.trim()) collections.push(parseCollectionMetadataLine(line));
  }
  const dataParts = manifest.parts.filter((part) => part.encoding === 'bson-documents');
  await write(magicBytes());
  await write(encodeDocument({ concurrent_collections: 1, version: '0.1', server_version: manifest.engine.serverVersion ?? '', tool_version: TOOL_NAME }));
  for (const collection of collections) {
    const part = dataParts.find((p) => p.schema === collection.database && p.table === collection.name);
    const metadata = BSON.EJSON.stringify({ options: collection.options, indexes: collection.indexes, collectionName: collection.name, type: collection.type }, { relaxed: false });
    await write(encodeDocument({ db: collection.database, collection: collection.name, metadata, size: goInt(part?.rawBytes ?? 0) }));
  }
  await write(TERMINATOR);
  for (const collection of collections) {
    const namespace = { db: collection.database, collection: collection.name };
    const crc = new Crc64();
    const part = dataParts.find((p) => p.schema === collection.database && p.table === collection.name);
    if (part) {
      let inSegment = 0;
      for await (const raw of splitBsonDocuments(readPart(part), part.label)) {
        if (inSegment === 0) await write(encodeDocument({ ...namespace, EOF: false, CRC: Long.ZERO }));
        crc.update(raw);
        await write(raw);
        inSegment += 1;
        if (inSegment === SEGMENT_DOCUMENTS) {
          await write(TERMINATOR);
          inSegment = 0;
        }
      }
      if (inSegment > 0) await write(TERMINATOR);
    }
    await write(encodeDocument({ ...namespace, EOF: true, CRC: crc.digest() }));
    await write(TERMINATOR);
  }
}
