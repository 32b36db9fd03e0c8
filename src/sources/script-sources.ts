import type { Readable } from 'node:stream';
import { ReplibyteError } from '../errors.js';
import type { SourceType } from './open.js';
import { PgScriptSource } from './pg-script/pg-script-source.js';
import type { DumpSource } from './source.js';

export interface ScriptOptions {
  /** Store a script that does not end with its dump tool's last line (`-- Dump completed`), with a warning. */
  allowTruncated: boolean;
}

/** What a script refused as cut short, or stored with --allow-truncated, ended in. */
export function truncatedScript(where: string, tool: string, trailer: string, last: { line: number; excerpt: string } | undefined): string {
  const end = last ? `it ends in \`${last.excerpt}\` on line ${last.line}` : 'it holds no statement';
  return `${where} does not end with ${tool}'s \`${trailer}\` line, so it may be cut short: ${end}`;
}

/** Dump scripts read from stdin or a file (`dump create -s TYPE -i` / `-f FILE`). */
export async function openScriptSource(type: SourceType, input: Readable, options: ScriptOptions = { allowTruncated: false }): Promise<DumpSource> {
  if (type === 'postgresql') {
    const path = (input as Readable & { path?: unknown }).path;
    return new PgScriptSource(input, typeof path === 'string' ? `script ${path}` : 'the script on stdin', options);
  }
  if (type === 'mysql') return new (await import('./mysql-script/mysql-script-source.js')).MysqlScriptSource(input, options);
  if (type === 'mongodb') {
    const { MongoArchiveSource } = await import('./mongodb/archive-source.js');
    return new MongoArchiveSource(input);
  }
  throw new ReplibyteError(`reading a ${type} dump script is not supported by this build`);
}
