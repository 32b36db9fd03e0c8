import { Readable } from 'node:stream';
import type pg from 'pg';
import { readScript, type ScriptEvent } from '../../encode/sql-script-reader.js';
import { errorMessage } from '../../errors.js';
import { hookFailure, type RestoreHook } from '../destination.js';

/**
 * Runs hooks statement by statement on the restore's connection (inside its transaction with --jobs 1):
 * the first statement that fails names its hook and line, and the restore rolls back. A hook is SQL run
 * through the driver, so psql meta-commands and `COPY … FROM stdin` are refused.
 */
export async function runPostgresHooks(client: pg.ClientBase, hooks: readonly RestoreHook[]): Promise<void> {
  for (const hook of hooks) {
    const events = readScript(Readable.from([Buffer.from(hook.sql, 'utf8')]));
    for (;;) {
      let next: IteratorResult<ScriptEvent>;
      try {
        next = await events.next();
      } catch (error) {
        throw hookFailure(hook, 1, '', errorMessage(error));
      }
      if (next.done) break;
      const event = next.value;
      const line = event.lineNumber ?? 1;
      if (event.kind === 'meta') throw hookFailure(hook, line, event.line, 'a psql meta-command cannot run in a hook (hooks run without psql)');
      if (event.kind === 'copy-start') throw hookFailure(hook, line, event.sql, 'COPY … FROM stdin cannot run in a hook');
      if (event.kind !== 'statement') continue;
      try {
        await client.query(event.sql);
      } catch (error) {
        throw hookFailure(hook, line, event.sql, errorMessage(error));
      }
    }
  }
}
