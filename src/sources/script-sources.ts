import type { Readable } from 'node:stream';
import { ReplibyteError } from '../errors.js';
import type { SourceType } from './open.js';
import { PgScriptSource } from './pg-script/pg-script-source.js';
import type { DumpSource } from './source.js';

/** Dump scripts read from stdin or a file (`dump create -s TYPE -i` / `-f FILE`). */
export async function openScriptSource(type: SourceType, input: Readable): Promise<DumpSource> {
  if (type === 'postgresql') {
    const path = (input as Readable & { path?: unknown }).path;
    return new PgScriptSource(input, typeof path === 'string' ? `script ${path}` : 'the script on stdin');
  }
  if (type === 'mysql') return new (await import('./mysql-script/mysql-script-source.js')).MysqlScriptSource(input);
  if (type === 'mongodb') {
    const { MongoArchiveSource } = await import('./mongodb/archive-source.js');
    return new MongoArchiveSource(input);
  }
  throw new ReplibyteError(`reading a ${type} dump script is not supported by this build`);
}
