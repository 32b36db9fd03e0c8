import path from 'node:path';
import { formatKeyPath, type Config } from '../config/load.js';
import type { RestoreHook, RestoreHooks } from '../destinations/destination.js';
import { errorMessage, ReplibyteError } from '../errors.js';
import { MIB, readSmallFile } from '../small-object.js';

/** A hook file is a handful of statements; a larger file is not one. */
const HOOK_FILE_MAX_BYTES = 16 * MIB;

/** An entry that ends in `.sql` on a single line names a file; anything else is SQL. */
const HOOK_FILE = /^[^\n]*\.sql$/i;

/**
 * `destination.before_restore` / `after_restore` read before the destination is touched: a missing or
 * unreadable `.sql` file is one error naming the config key and its line, and nothing is changed.
 */
export async function loadRestoreHooks(config: Config): Promise<RestoreHooks> {
  return {
    before: await loadList(config, 'before_restore'),
    after: await loadList(config, 'after_restore'),
  };
}

export function hasHooks(hooks: RestoreHooks): boolean {
  return hooks.before.length + hooks.after.length > 0;
}

async function loadList(config: Config, key: 'before_restore' | 'after_restore'): Promise<RestoreHook[]> {
  const entries = config.destination?.[key] ?? [];
  const hooks: RestoreHook[] = [];
  for (const [index, entry] of entries.entries()) {
    const keyPath = ['destination', key, index];
    const name = formatKeyPath(keyPath);
    const at = config.locate(keyPath);
    if (HOOK_FILE.test(entry)) {
      const file = path.resolve(path.dirname(config.origin), entry);
      const where = `${config.origin}${at ? `:${at.line}:${at.column}` : ''}: ${name}`;
      let bytes: Buffer | undefined;
      try {
        bytes = await readSmallFile(file, HOOK_FILE_MAX_BYTES, `hook file ${entry}`);
      } catch (error) {
        throw new ReplibyteError(`${where}: cannot read ${entry}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
      }
      if (!bytes) throw new ReplibyteError(`${where}: the hook file ${entry} does not exist (${file})`);
      hooks.push({ name, origin: entry, line: 1, sql: bytes.toString('utf8') });
    } else {
      // A multi-line entry is a YAML block scalar (`|`): its text starts on the line after the key's value.
      const line = (at?.line ?? 1) + (entry.includes('\n') ? 1 : 0);
      hooks.push({ name, origin: config.origin, line, sql: entry });
    }
  }
  return hooks;
}
