import type { Readable } from 'node:stream';
import type { SourceType } from './open.js';
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

/** Dump scripts read from stdin or a file (`dump create -s TYPE -i` / `-f FILE`), by the engine table. */
export async function openScriptSource(type: SourceType, input: Readable, options: ScriptOptions = { allowTruncated: false }): Promise<DumpSource> {
  const { engineNamed } = await import('../engines/index.js');
  return engineNamed(type).openScriptSource(input, options);
}
