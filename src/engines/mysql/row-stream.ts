import type mysql from 'mysql2';

const HIGH_WATER = 4096;
/** Wide rows pause the connection sooner: at most this many bytes of values wait (1 MB rows: 8 of them). */
const HIGH_WATER_BYTES = 8 << 20;

/**
 * The rows of a query as an async iterable of batches, with backpressure: the connection is paused
 * while more than HIGH_WATER rows or HIGH_WATER_BYTES of values wait, resumed once the consumer has
 * taken them. (mysql2's own `.stream()` pauses and resumes the socket around every few rows, which
 * made a dump 4x slower.)
 */
export async function* queryRows(connection: mysql.Connection, options: mysql.QueryOptions): AsyncGenerator<Array<Array<Buffer | null>>> {
  let batch: Array<Array<Buffer | null>> = [];
  let batchBytes = 0;
  let done = false;
  let failure: Error | undefined;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const query = connection.query(options);
  query.on('result', (row) => {
    const values = row as unknown as Array<Buffer | null>;
    batch.push(values);
    for (const value of values) batchBytes += value?.length ?? 0;
    if ((batch.length >= HIGH_WATER || batchBytes >= HIGH_WATER_BYTES) && !paused) {
      paused = true;
      connection.pause();
    }
    if (batch.length >= 256 || batchBytes >= HIGH_WATER_BYTES) notify();
  });
  query.on('error', (error: Error) => {
    failure = error;
    done = true;
    notify();
  });
  query.on('end', () => {
    done = true;
    notify();
  });
  // A connection the server kills fails the connection, not always the query running on it.
  const lost = (error: Error) => {
    failure ??= error;
    done = true;
    notify();
  };
  connection.once('error', lost);
  try {
    while (true) {
      if (batch.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
      if (batch.length > 0) {
        const rows = batch;
        batch = [];
        batchBytes = 0;
        if (paused) {
          paused = false;
          connection.resume();
        }
        yield rows;
      } else if (done) return;
    }
  } finally {
    connection.off('error', lost);
  }
}

/** What receives the rows of streamRowPackets, as they come off the socket. */
export interface RowPacketSink {
  /** One row, its values as the text protocol sends them in `buffer[start, end)`; returns the pieces of output that are ready. */
  row(buffer: Buffer, start: number, end: number): readonly Buffer[];
  /** After the last row: the rest of the output. */
  finish(): readonly Buffer[];
}

/** Output waiting for the consumer before the connection is paused (and resumed once it is taken). */
const OUTPUT_HIGH_WATER = 8 << 20;

/**
 * The rows of a query handed to `sink` as the raw packets of MySQL's text protocol, inside the driver's
 * socket handler, and what the sink makes of them as an async iterable of pieces, with backpressure
 * (the connection paused while more than OUTPUT_HIGH_WATER bytes wait). mysql2 would otherwise make a
 * Buffer per value and an array per row (a third of a dump's CPU, with the garbage): its row parser is
 * replaced, for this query only, by one that calls the sink. The sink must not keep `buffer`, except a
 * view of a value of VIEW_BYTES (64 KB) or more until the piece holding it is written: a row that long
 * spans several reads of the socket (64 KB each at most), and mysql2 joins such a packet into a buffer
 * of its own that it never reuses (row-stream.test.ts pins this for the installed mysql2). A wide value
 * is then held once, not copied into the output and held twice.
 */
export async function* streamRowPackets(connection: mysql.Connection, sql: string, columns: number, sink: RowPacketSink): AsyncGenerator<Buffer> {
  const pieces: Buffer[] = [];
  let waiting = 0;
  let done = false;
  let failure: unknown;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const stop = (error: unknown) => {
    failure ??= error;
    done = true;
    notify();
  };
  const push = (output: readonly Buffer[]) => {
    if (output.length === 0) return;
    for (const piece of output) {
      pieces.push(piece);
      waiting += piece.length;
    }
    if (waiting >= OUTPUT_HIGH_WATER && !paused) {
      paused = true;
      connection.pause();
    }
    notify();
  };
  const parser = {
    next(packet: { buffer: Buffer; offset: number; end: number }): null {
      if (failure !== undefined) return null; // the rest of the rows are read and dropped
      try {
        push(sink.row(packet.buffer, packet.offset, packet.end));
      } catch (error) {
        stop(error);
      }
      return null;
    },
  };
  const query = connection.query({ sql, rowsAsArray: true, typeCast: false });
  if (!Object.prototype.hasOwnProperty.call(query, '_rowParser')) {
    throw new Error('internal error: this version of mysql2 has no Query._rowParser to stream raw rows through');
  }
  // The driver assigns its own parser once the columns are known: this one stays.
  Object.defineProperty(query, '_rowParser', { configurable: true, get: () => parser, set: () => undefined });
  query.on('fields', (fields: unknown[] | undefined) => {
    if ((fields?.length ?? 0) !== columns) stop(new Error(`internal error: the query returned ${fields?.length ?? 0} columns, not ${columns}`));
  });
  query.on('error', stop);
  query.on('end', () => {
    if (failure === undefined) {
      try {
        push(sink.finish());
      } catch (error) {
        failure = error;
      }
    }
    done = true;
    notify();
  });
  // A connection the server kills fails the connection, not always the query running on it.
  connection.once('error', stop);
  try {
    while (true) {
      if (pieces.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw failure;
      if (pieces.length > 0) {
        const piece = pieces.shift()!;
        waiting -= piece.length;
        if (paused && waiting < OUTPUT_HIGH_WATER / 2) {
          paused = false;
          connection.resume();
        }
        yield piece;
      } else if (done) return;
    }
  } finally {
    connection.off('error', stop);
    // Left early (the consumer failed): rows that still come are dropped, the connection stays paused
    // if it is, and the caller closes it, as it does after any failure.
    failure ??= new Error('the rows were no longer read');
  }
}
