import type { Connection } from 'mysql2/promise';
import { splitMysqlScript, type ScriptStatement } from '../../encode/mysql/statement-splitter.js';
import { errorMessage } from '../../errors.js';
import { rawSql } from '../../engines/mysql/identifiers.js';
import { hookFailure, type RestoreHook } from '../destination.js';

/**
 * Runs hooks statement by statement in the restore's session, split as the `mysql` client splits a
 * script (`DELIMITER` included, for a hook that creates a routine or trigger). The first statement that
 * fails names its hook and line; MySQL commits DDL at once, so what ran before it stays.
 */
export async function runMysqlHooks(connection: Connection, hooks: readonly RestoreHook[]): Promise<void> {
  for (const hook of hooks) {
    const statements = splitMysqlScript(oneBuffer(hook.sql), hook.name);
    for (;;) {
      let next: IteratorResult<ScriptStatement>;
      try {
        next = await statements.next();
      } catch (error) {
        throw hookFailure(hook, 1, '', errorMessage(error));
      }
      if (next.done) break;
      const statement = next.value;
      if (statement.kind !== 'statement') continue;
      try {
        await connection.query(rawSql(statement.text));
      } catch (error) {
        const err = error as Error & { sqlMessage?: string };
        throw hookFailure(hook, statement.line, statement.text.toString('utf8'), err.sqlMessage ?? err.message);
      }
    }
  }
}

async function* oneBuffer(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text, 'utf8');
}
