/**
 * The local clone against the restore it copies (#19): `dump restore local --detach` of the bench dump,
 * then `local clone` of what it restored, alternately over the rounds, each server stopped and removed
 * after its round. Both commands run through the CLI, start-up included, as a user runs them.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measure, median, type Measurement } from './measure.js';

export const RESTORE_LOCAL = 'replibyte dump restore local';
export const LOCAL_CLONE = 'replibyte local clone';

export interface CloneResult {
  scale: number;
  /** The restored database the clones copy (the pristine template), as `local list` gives it. */
  templateMb: number;
  rounds: number;
  medians: Record<string, number>;
  samples: Record<string, number[]>;
  machine: { cpu: string; cores: number; loadAverage: string; node: string };
  command: string;
  measuredAt: string;
}

const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** `cli` is bin/replibyte.js, `config` a config whose datastore holds dump `dump`. */
export async function measureLocalClones(options: {
  cli: string;
  config: string;
  dump: string;
  scratch: string;
  rounds: number;
  log: (line: string) => void;
}): Promise<{ runs: Record<string, Measurement[]>; templateMb: number }> {
  const servers = join(options.scratch, 'local-servers');
  await mkdir(servers, { recursive: true });
  // As root the server runs as `postgres`, which must enter the scratch directory (mkdtemp makes it 0700).
  await chmod(options.scratch, 0o755);
  const env = { ...process.env, REPLIBYTE_LOCAL_DIR: servers };
  const replibyte = `node ${q(options.cli)} -q`;
  const runs: Record<string, Measurement[]> = {};
  let templateMb = Number.NaN;
  const stop = () => measure(`${replibyte} local stop bench`, options.scratch, env).catch(() => undefined);
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      options.log(`local clone round ${round}/${options.rounds}`);
      const restored = await measure(`${replibyte} -c ${q(options.config)} dump restore local -v ${q(options.dump)} --name bench --database bench --detach`, options.scratch, env);
      (runs[RESTORE_LOCAL] ??= []).push(restored);
      options.log(`  ${RESTORE_LOCAL}: ${restored.seconds.toFixed(2)} s`);
      const cloned = await measure(`${replibyte} local clone bench copy_${round}`, options.scratch, env);
      (runs[LOCAL_CLONE] ??= []).push(cloned);
      options.log(`  ${LOCAL_CLONE}: ${cloned.seconds.toFixed(2)} s`);
      const listing = JSON.parse(execFileSync(process.execPath, [options.cli, 'local', 'list', '--json'], { env, encoding: 'utf8' })) as Array<{
        databases: Array<{ name: string; bytes: number; template: boolean }>;
      }>;
      templateMb = (listing[0]?.databases.find((d) => d.template)?.bytes ?? Number.NaN) / 1e6;
      await stop();
    }
  } finally {
    await stop();
    await rm(servers, { recursive: true, force: true });
  }
  return { runs, templateMb };
}

export function cloneResult(scale: number, rounds: number, runs: Record<string, Measurement[]>, templateMb: number, machine: CloneResult['machine']): CloneResult {
  return {
    scale,
    templateMb,
    rounds,
    medians: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list.map((m) => m.seconds))])),
    samples: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((m) => Number(m.seconds.toFixed(3)))])),
    machine,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    measuredAt: new Date().toISOString(),
  };
}
