import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface Measurement {
  seconds: number;
  /** Peak resident set of the largest process of the command, in MB (GNU time's %M); undefined without it. */
  peakRssMb?: number;
}

const GNU_TIME = '/usr/bin/time';

/** Runs a shell command, timing its wall clock; fails loudly (with its stderr) if it fails. */
export async function measure(command: string, scratch: string, env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  const haveTime = existsSync(GNU_TIME);
  const rssFile = join(scratch, `rss-${process.pid}-${Date.now()}.txt`);
  const argv = haveTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, 'bash', '-o', 'pipefail', '-c', command] : ['bash', '-o', 'pipefail', '-c', command];
  const started = process.hrtime.bigint();
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (piece: Buffer) => {
      if (text.length < 20_000) text += piece.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`${command}\nexited with ${code}:\n${text}`))));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  void stderr;
  if (!haveTime) return { seconds };
  const kb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
  await rm(rssFile, { force: true });
  return { seconds, peakRssMb: kb / 1024 };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
