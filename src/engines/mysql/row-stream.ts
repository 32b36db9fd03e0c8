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
