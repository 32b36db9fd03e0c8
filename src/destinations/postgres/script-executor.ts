import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readScript } from '../../encode/sql-script-reader.js';
import { ReplibyteError } from '../../errors.js';

const BATCH_BYTES = 1 << 20;
const IGNORED_META = /^\\(restrict|unrestrict)\b/;

/**
 * Runs a pg_dump-style script through the driver: statements are sent in batches of about 1 MB
 * (simple query protocol), COPY blocks stream through COPY FROM STDIN, and psql's `\restrict` lines
 * are dropped. Any other psql meta-command is refused: it would mean the script needs psql.
 */
export interface ScriptOptions {
  /**
   * Given each statement (comments and the final `;` kept), a way to run it other than in a batch, or
   * undefined. The statements before it have run when it is called.
   */
  takeOver?: (sql: string) => ((client: pg.ClientBase) => Promise<void>) | undefined;
}

export async function executeScript(client: pg.ClientBase, script: AsyncIterable<Buffer>, where: string, options: ScriptOptions = {}): Promise<void> {
  let batch: string[] = [];
  let batchBytes = 0;
  let statementNumber = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const statements = batch;
    const first = statementNumber - statements.length + 1;
    batch = [];
    batchBytes = 0;
    try {
      await client.query(statements.join(';\n') + ';');
    } catch (error) {
      throw describeSqlError(error, statements, first, where);
    }
  };
  let copy: NodeJS.WritableStream & { on: NodeJS.EventEmitter['on'] } | undefined;
  let copyDone: Promise<unknown> | undefined;
  for await (const event of readScript(script)) {
    switch (event.kind) {
      case 'statement': {
        const own = options.takeOver?.(event.sql);
        if (own) {
          await flush();
          statementNumber += 1;
          try {
            await own(client);
          } catch (error) {
            throw describeSqlError(error, [event.sql.replace(/;\s*$/, '')], statementNumber, where);
          }
          break;
        }
        statementNumber += 1;
        batch.push(event.sql.replace(/;\s*$/, ''));
        batchBytes += event.sql.length;
        if (batchBytes >= BATCH_BYTES) await flush();
        break;
      }
      case 'meta':
        if (!IGNORED_META.test(event.line)) {
          throw new ReplibyteError(`${where}: the psql meta-command ${event.line.split(/\s/)[0]} cannot be run without psql`);
        }
        break;
      case 'copy-start': {
        await flush();
        statementNumber += 1;
        const stream = client.query(copyFrom(event.sql.replace(/;\s*$/, '')));
        copy = stream;
        copyDone = new Promise((resolve, reject) => {
          stream.on('finish', resolve);
          stream.on('error', reject);
        });
        copyDone.catch(() => undefined);
        break;
      }
      case 'copy-data':
        if (copy && !copy.write(event.data)) await Promise.race([once(copy, 'drain'), copyDone]);
        break;
      case 'copy-end':
        copy?.end();
        try {
          await copyDone;
        } catch (error) {
          throw describeSqlError(error, [], statementNumber, where);
        }
        copy = undefined;
        break;
    }
  }
  await flush();
}

function describeSqlError(error: unknown, statements: string[], first: number, where: string): ReplibyteError {
  const err = error as Error & { position?: string };
  let statement = statements[0];
  let number = first;
  if (err.position && statements.length > 1) {
    let offset = Number(err.position);
    for (const [index, sql] of statements.entries()) {
      if (offset <= sql.length + 2) {
        statement = sql;
        number = first + index;
        break;
      }
      offset -= sql.length + 2;
    }
  }
  const excerpt = statement ? `: ${statement.replace(/\s+/g, ' ').slice(0, 160)}` : '';
  return new ReplibyteError(`${where}, statement ${number}: ${err.message}${excerpt}`);
}
