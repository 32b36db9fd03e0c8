import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BSON, Long, Timestamp } from 'bson';
import { Query } from 'mingo';
import { cursorReply, encodeReply, MessageReader, type Command, type IncomingMessage } from './wire.js';

/**
 * A MongoDB stand-in for the tests (no MongoDB server can be installed on these machines): a TCP server
 * on 127.0.0.1 speaking OP_MSG (and OP_QUERY for the legacy hello) with the commands replibyte and its
 * tests use. Documents are kept as the BSON bytes they were inserted with, so what comes out is what went
 * in, byte for byte; filters go through mingo. A generated collection makes its documents on demand,
 * so a test can serve hundreds of megabytes without holding them.
 */

type Spec = Record<string, unknown>;

interface StoredCollection {
  type: 'collection' | 'timeseries' | 'view';
  options: Spec;
  indexes: Spec[];
  documents: Buffer[];
  generated?: { count: number; make: (index: number) => Buffer };
}

interface OpenCursor {
  ns: string;
  documents: Peekable;
}

export interface MongoTestServerOptions {
  /** Answer hello as the primary of a replica set (snapshot reads allowed). Default: a standalone. */
  replicaSet?: boolean;
  version?: string;
}

const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export class MongoTestServer {
  readonly databases = new Map<string, Map<string, StoredCollection>>();
  /** Every command name received, in order (tests check what the product sent). */
  readonly commands: Array<{ name: string; body: Record<string, unknown> }> = [];
  private readonly cursors = new Map<bigint, OpenCursor>();
  private nextCursorId = 1000n;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly options: MongoTestServerOptions = {}) {}

  static async start(options: MongoTestServerOptions = {}): Promise<MongoTestServer> {
    const instance = new MongoTestServer(options);
    await instance.listen();
    return instance;
  }

  uri(database: string, query = ''): string {
    return `mongodb://127.0.0.1:${this.port}/${database}?directConnection=true${query ? `&${query}` : ''}`;
  }

  private listen(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Adds a collection whose documents are made by `make(i)` when read (never stored). */
  addGeneratedCollection(database: string, name: string, count: number, make: (index: number) => Spec): void {
    const collection = this.collection(database, name, true)!;
    collection.generated = { count, make: (index) => Buffer.from(BSON.serialize(make(index))) };
  }

  /** Stores raw BSON documents as they are, past any size limit (the driver refuses to send those). */
  insertRaw(database: string, name: string, documents: Buffer[]): void {
    this.collection(database, name, true)!.documents.push(...documents);
  }

  /** The documents of a collection, decoded with every BSON type kept as its class. */
  documents(database: string, name: string): Spec[] {
    const collection = this.databases.get(database)?.get(name);
    return (collection?.documents ?? []).map((raw) => BSON.deserialize(raw, exactTypes));
  }

  rawDocuments(database: string, name: string): Buffer[] {
    return this.databases.get(database)?.get(name)?.documents ?? [];
  }

  collectionInfo(database: string, name: string): { type: string; options: Spec; indexes: Spec[] } | undefined {
    const collection = this.databases.get(database)?.get(name);
    return collection && { type: collection.type, options: collection.options, indexes: collection.indexes };
  }

  private collection(database: string, name: string, create: boolean): StoredCollection | undefined {
    let collections = this.databases.get(database);
    if (!collections) {
      if (!create) return undefined;
      collections = new Map();
      this.databases.set(database, collections);
    }
    let collection = collections.get(name);
    if (!collection && create) {
      collection = { type: 'collection', options: {}, indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }], documents: [] };
      collections.set(name, collection);
    }
    return collection;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new MessageReader();
    socket.on('data', (data: Buffer) => {
      for (const message of reader.push(data)) {
        if (!socket.writable) return;
        socket.write(encodeReply(message, this.answer(message)));
      }
    });
  }

  private answer(message: IncomingMessage): Buffer {
    const name = Object.keys(message.command.body)[0] ?? '';
    this.commands.push({ name, body: message.command.body });
    try {
      const reply = this.run(name, message.command);
      return Buffer.isBuffer(reply) ? reply : Buffer.from(BSON.serialize({ ...reply, ok: 1, ...this.clusterTime() }));
    } catch (error) {
      const failure = error as Error & { code?: number; codeName?: string };
      return Buffer.from(BSON.serialize({ ok: 0, errmsg: failure.message, code: failure.code ?? 8000, codeName: failure.codeName ?? 'TestServerError' }));
    }
  }

  private clusterTime(): Spec {
    if (!this.options.replicaSet) return {};
    const time = new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
    return { operationTime: time, $clusterTime: { clusterTime: time, signature: { hash: Buffer.alloc(20), keyId: Long.ZERO } } };
  }

  private run(name: string, command: Command): Buffer | Spec {
    const body = command.body;
    const database = String(body.$db ?? 'admin');
    switch (name.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return this.hello();
      case 'ping':
      case 'endsessions':
      case 'getparameter':
        return {};
      case 'buildinfo':
        return { version: this.version(), versionArray: this.version().split('.').map(Number), maxBsonObjectSize: 16 * 1024 * 1024 };
      case 'listdatabases':
        return {
          databases: [...this.databases.keys()].map((db) => ({ name: db, sizeOnDisk: 0, empty: false })),
          totalSize: 0,
        };
      case 'listcollections':
        return this.listCollections(database, body);
      case 'create':
        return this.create(database, body);
      case 'drop': {
        const dropped = this.databases.get(database)?.delete(String(body.drop));
        if (!dropped) throw Object.assign(new Error('ns not found'), { code: 26, codeName: 'NamespaceNotFound' });
        return {};
      }
      case 'dropdatabase':
        this.databases.delete(database);
        return {};
      case 'listindexes': {
        const collection = this.collection(database, String(body.listIndexes), false);
        if (!collection) throw Object.assign(new Error(`ns does not exist: ${database}.${String(body.listIndexes)}`), { code: 26, codeName: 'NamespaceNotFound' });
        return this.cursorOf(`${database}.${String(body.listIndexes)}`, collection.indexes.map((spec) => Buffer.from(BSON.serialize(spec))).values(), body);
      }
      case 'createindexes': {
        const collection = this.collection(database, String(body.createIndexes), true)!;
        const before = collection.indexes.length;
        for (const spec of body.indexes as Spec[]) {
          if (!collection.indexes.some((existing) => existing.name === spec.name)) collection.indexes.push({ v: 2, ...spec });
        }
        return { numIndexesBefore: before, numIndexesAfter: collection.indexes.length, createdCollectionAutomatically: false };
      }
      case 'insert': {
        const collection = this.collection(database, String(body.insert), true)!;
        const documents = command.sequences.get('documents') ?? ((body.documents as Spec[] | undefined) ?? []).map((d) => Buffer.from(BSON.serialize(d)));
        collection.documents.push(...documents);
        return { n: documents.length };
      }
      case 'find':
        return this.find(database, body);
      case 'getmore':
        return this.getMore(body);
      case 'killcursors':
        for (const id of body.cursors as Long[]) this.cursors.delete(BigInt(id.toString()));
        return { cursorsKilled: body.cursors };
      case 'count': {
        const collection = this.collection(database, String(body.count), false);
        let n = 0;
        if (collection) for (const _ of this.scan(collection, (body.query as Spec | undefined) ?? {})) n += 1;
        return { n };
      }
      default:
        throw Object.assign(new Error(`no such command: '${name}'`), { code: 59, codeName: 'CommandNotFound' });
    }
  }

  private version(): string {
    return this.options.version ?? '7.0.14';
  }

  private hello(): Spec {
    const base: Spec = {
      helloOk: true,
      ismaster: true,
      isWritablePrimary: true,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: 1,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
    };
    if (!this.options.replicaSet) return base;
    const me = `127.0.0.1:${this.port}`;
    return { ...base, setName: 'rs0', setVersion: 1, hosts: [me], primary: me, me, secondary: false };
  }

  private listCollections(database: string, body: Spec): Buffer {
    const entries = [...(this.databases.get(database) ?? new Map<string, StoredCollection>()).entries()].map(([name, collection]) => ({
      name,
      type: collection.type,
      options: collection.options,
      info: { readOnly: collection.type === 'view' },
      ...(collection.type === 'collection' && { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }),
    }));
    const filter = (body.filter as Spec | undefined) ?? {};
    const query = new Query(filter, {});
    const matching = entries.filter((entry) => query.test(entry)).map((entry) => Buffer.from(BSON.serialize(entry)));
    return this.cursorOf(`${database}.$cmd.listCollections`, matching.values(), body);
  }

  private create(database: string, body: Spec): Spec {
    const name = String(body.create);
    if (this.databases.get(database)?.has(name)) {
      throw Object.assign(new Error(`Collection ${database}.${name} already exists.`), { code: 48, codeName: 'NamespaceExists' });
    }
    const collection = this.collection(database, name, true)!;
    const options: Spec = {};
    for (const [key, value] of Object.entries(body)) {
      if (['create', '$db', 'lsid', '$clusterTime', 'txnNumber', 'writeConcern', '$readPreference', 'apiVersion'].includes(key)) continue;
      options[key] = value;
    }
    collection.options = options;
    if (options.timeseries) {
      collection.type = 'timeseries';
      collection.indexes = [];
    } else if (options.viewOn) {
      collection.type = 'view';
      collection.indexes = [];
    }
    return {};
  }

  private *scan(collection: StoredCollection, filter: Spec): Generator<Buffer> {
    const query = Object.keys(filter).length > 0 ? new Query(filter, {}) : undefined;
    const count = collection.generated ? collection.generated.count : collection.documents.length;
    for (let index = 0; index < count; index += 1) {
      const raw = collection.generated ? collection.generated.make(index) : collection.documents[index]!;
      if (query && !query.test(BSON.deserialize(raw))) continue;
      yield raw;
    }
  }

  private find(database: string, body: Spec): Buffer {
    const name = String(body.find);
    const ns = `${database}.${name}`;
    const collection = this.collection(database, name, false);
    const limit = Number(body.limit ?? 0);
    const skip = Number(body.skip ?? 0);
    const scan = collection ? this.scan(collection, (body.filter as Spec | undefined) ?? {}) : [].values();
    const documents = (function* () {
      let index = 0;
      for (const raw of scan) {
        index += 1;
        if (index <= skip) continue;
        if (limit > 0 && index - skip > limit) return;
        yield raw;
      }
    })();
    return this.cursorOf(ns, documents, body, this.snapshotTime(body));
  }

  /** A snapshot read on a replica set answers with the cluster time it read at (the one asked for, if any). */
  private snapshotTime(body: Spec): { t: number; i: number } | undefined {
    const readConcern = body.readConcern as Spec | undefined;
    if (!this.options.replicaSet || readConcern?.level !== 'snapshot') return undefined;
    const asked = readConcern.atClusterTime as Timestamp | undefined;
    return asked ? { t: asked.t, i: asked.i } : { t: Math.floor(Date.now() / 1000), i: 1 };
  }

  private getMore(body: Spec): Buffer {
    const id = BigInt((body.getMore as Long).toString());
    const cursor = this.cursors.get(id);
    if (!cursor) throw Object.assign(new Error(`cursor id ${id} not found`), { code: 43, codeName: 'CursorNotFound' });
    const { batch, done } = takeBatch(cursor.documents, Number(body.batchSize ?? 0) || Number.MAX_SAFE_INTEGER);
    if (done) this.cursors.delete(id);
    return cursorReply(cursor.ns, done ? 0n : id, 'nextBatch', batch);
  }

  private cursorOf(ns: string, source: Iterator<Buffer>, body: Spec, atClusterTime?: { t: number; i: number }): Buffer {
    const documents = new Peekable(source);
    const requested = (body.cursor as Spec | undefined)?.batchSize ?? body.batchSize;
    const { batch, done } = takeBatch(documents, requested === undefined ? 101 : Number(requested) || 101);
    let id = 0n;
    if (!done) {
      id = this.nextCursorId++;
      this.cursors.set(id, { ns, documents });
    }
    return cursorReply(ns, id, 'firstBatch', batch, atClusterTime);
  }
}

/**
 * Up to `size` documents, as a real server batches them: a document goes into the batch only if the
 * batch stays within 16 MiB, except the first, which always goes (so a 15 MiB document travels alone).
 */
function takeBatch(documents: Peekable, size: number): { batch: Buffer[]; done: boolean } {
  const batch: Buffer[] = [];
  let bytes = 0;
  while (batch.length < size) {
    const next = documents.peek();
    if (next === undefined) return { batch, done: true };
    if (batch.length > 0 && bytes + next.length > MAX_BATCH_BYTES) break;
    documents.take();
    batch.push(next);
    bytes += next.length;
  }
  // A real server closes an exhausted cursor in the same reply; peeking further would make a document
  // early, so the cursor stays open until a getMore finds it empty.
  return { batch, done: false };
}

/** An iterator of documents that can look at the next one without taking it. */
class Peekable {
  private next: IteratorResult<Buffer> | undefined;

  constructor(private readonly documents: Iterator<Buffer>) {}

  peek(): Buffer | undefined {
    this.next ??= this.documents.next();
    return this.next.done ? undefined : this.next.value;
  }

  take(): void {
    this.next = undefined;
  }
}

/** Decoding options that keep every BSON type as its own class (Int32, Double, Long, BSONRegExp…). */
export const exactTypes = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;
