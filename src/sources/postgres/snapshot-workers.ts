import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { withContext } from '../../errors.js';
import { quoteLiteral } from '../../engines/postgres/catalog.js';
import { connectPostgres, redactUri } from '../../engines/postgres/connection.js';

/** Session settings every reading transaction uses, so that COPY text is the same on every connection. */
export const READ_SETTINGS = "SET LOCAL statement_timeout = 0; SET LOCAL DateStyle = 'ISO'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3";

/** `--jobs` when none is given: one connection per core (the source server usually has as many). */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Extra connections for a parallel dump, each in its own REPEATABLE READ, READ ONLY transaction that
 * imports the main transaction's exported snapshot (`SET TRANSACTION SNAPSHOT`), as `pg_dump -j` does:
 * every connection sees exactly the database the main one sees. The snapshot stays importable as long
 * as the main transaction is open, which it is for the whole dump.
 */
export async function openSnapshotWorkers(uri: string, snapshot: string, count: number): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const client = await connectPostgres(uri, 'source');
        clients.push(client);
        await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}; ${READ_SETTINGS}`);
      }),
    );
    return clients;
  } catch (error) {
    await closeSnapshotWorkers(clients);
    throw withContext(`opening ${count} more connection(s) to ${redactUri(uri)} for a parallel dump (use --jobs 1 to dump over one)`, error);
  }
}

export async function closeSnapshotWorkers(clients: pg.Client[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }),
  );
}

/**
 * Runs tasks over a fixed set of lanes (connections), each lane one task at a time, taking the next
 * task it may run in list order. A task restricted to lane 0 (the main connection) waits for it. The
 * first failure stops every lane from taking new tasks; the tasks already running finish or fail.
 */
export async function runOnLanes<T>(
  tasks: Array<{ item: T; mainOnly: boolean }>,
  lanes: number,
  run: (item: T, lane: number) => Promise<void>,
  onAllStarted?: () => void,
): Promise<void> {
  const pending = [...tasks];
  let failed = false;
  let announced = false;
  const announce = () => {
    if (!announced && pending.length === 0) {
      announced = true;
      onAllStarted?.();
    }
  };
  const lane = async (index: number) => {
    for (;;) {
      if (failed) return;
      const at = pending.findIndex((task) => index === 0 || !task.mainOnly);
      if (at === -1) return;
      const [task] = pending.splice(at, 1);
      // run's synchronous start (up to its first await) has claimed its place before the caller learns
      // that every task has started.
      const running = run(task!.item, index);
      announce();
      try {
        await running;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  announce();
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, lanes) }, (_, index) => lane(index)));
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected) throw rejected.reason;
}
