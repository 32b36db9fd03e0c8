import type mysql from 'mysql2';

const HIGH_WATER = 4096;

/**
 * The rows of a query as an async iterable of batches, with backpressure: the connection is paused
 * while more than HIGH_WATER rows wait, resumed once the consumer has taken them. (mysql2's own
 * `.stream()` pauses and resumes the socket around every few rows, which made a dump 4x slower.)
 */
export async function* queryRows(connection: mysql.Connection, options: mysql.QueryOptions): AsyncGenerator<Array<Array<Buffer | null>>> {
  let batch: Array<Array<Buffer | null>> = [];
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
    batch.push(row as unknown as Array<Buffer | null>);
    if (batch.length >= HIGH_WATER && !paused) {
      paused = true;
      connection.pause();
    }
    if (batch.length >= 256) notify();
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
