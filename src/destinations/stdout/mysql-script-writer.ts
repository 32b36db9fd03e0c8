import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Manifest } from '../../dump/manifest.js';
import { SESSION_END, SESSION_START } from '../../encode/mysql/session.js';
import { ReplibyteError } from '../../errors.js';
import { MYSQL_ENGINES } from '../../engines/mysql/identifiers.js';
import { NO_HOOKS, type PartReader, type RestoreHooks } from '../destination.js';
import { hookText } from './sql-script-writer.js';

/**
 * Writes a MySQL dump as one script for the `mysql` / `mariadb` client (`mysql DATABASE < dump.sql`):
 * mysqldump's session header, the parts in order (routines and triggers inside DELIMITER ;;), the trailer.
 */
export async function writeMysqlScript(manifest: Manifest, readPart: PartReader, output: Writable, hooks: RestoreHooks = NO_HOOKS): Promise<void> {
  if (!MYSQL_ENGINES.has(manifest.engine.kind)) {
    throw new ReplibyteError(`dump ${manifest.name} holds a ${manifest.engine.kind} database, not a MySQL script`);
  }
  const write = async (data: string | Buffer) => {
    if (!output.write(data)) await once(output, 'drain');
  };
  await write(`-- replibyte dump ${manifest.name} of ${manifest.engine.kind} ${manifest.engine.serverVersion ?? ''}, created ${manifest.createdAt}\n`);
  await write('-- load with: mysql DATABASE < FILE (or mariadb)\n\n');
  await write(SESSION_START.map((statement) => `${statement};\n`).join(''));
  await write(hookText(hooks.before));
  for (const part of manifest.parts) {
    await write(`\n-- ${part.label}\n`);
    for await (const piece of readPart(part)) await write(piece);
  }
  await write(`\n${SESSION_END.map((statement) => `${statement};\n`).join('')}`);
  await write(hookText(hooks.after));
  // mysqldump's last line: `dump create -s mysql -i` takes a script without it for a cut-short one.
  await write('\n-- Dump completed (replibyte)\n');
}
