import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReplibyteError } from '../errors.js';
import type { ColumnInfo, TransformerContext } from './transformer.js';
import type { ValueTransform } from './row-transform.js';

/**
 * What a custom transformer module exports (as `default` or as `transformer`):
 *
 * ```js
 * export default {
 *   description: 'Uppercases the value',
 *   options: z.object({ suffix: z.string().default('') }),   // optional: anything with safeParse()
 *   deterministic: true,                                      // optional, default true
 *   refuses: (column) => undefined,                           // optional
 *   create: (options, { column, salt, seed }) => (value, row) => value?.toUpperCase() ?? null,
 * };
 * ```
 */
export interface CustomTransformerModule {
  description?: string;
  options?: { safeParse(input: unknown): { success: boolean; data?: unknown; error?: { issues?: Array<{ message: string }> } } };
  deterministic?: boolean;
  refuses?(column: ColumnInfo): string | undefined;
  create(options: unknown, context: TransformerContext & { seed(value: string): string }): ValueTransform;
}

const loaded = new Map<string, CustomTransformerModule>();
/** The module path as the config writes it → the loaded module (the plan only sees the config's text). */
const byConfigPath = new Map<string, CustomTransformerModule>();

/** Where a module path of the config points: relative paths are read from the config file's directory. */
export function resolveModulePath(path: string, configOrigin: string): string {
  return isAbsolute(path) ? path : resolve(dirname(resolve(configOrigin)), path);
}

/**
 * Imports every custom transformer module the config names, before the dump plans its transforms (which
 * is synchronous). `.ts` modules are loaded through tsx when it is installed.
 */
export async function loadCustomTransformers(config: { origin: string; source?: { transformers?: Array<{ columns: Array<{ transformer_name: string; transformer_options?: Record<string, unknown> }> }> } }): Promise<void> {
  for (const table of config.source?.transformers ?? []) {
    for (const column of table.columns) {
      if (column.transformer_name !== 'custom') continue;
      const path = column.transformer_options?.module;
      if (typeof path !== 'string') continue; // the options check reports it
      rememberCustomModule(path, await loadCustomModule(resolveModulePath(path, config.origin)));
    }
  }
}

export async function loadCustomModule(path: string): Promise<CustomTransformerModule> {
  const cached = loaded.get(path);
  if (cached) return cached;
  let imported: Record<string, unknown>;
  try {
    if (/\.[mc]?ts$/.test(path)) {
      const tsx = (await import('tsx/esm/api').catch(() => undefined)) as { tsImport(path: string, parent: string): Promise<Record<string, unknown>> } | undefined;
      if (!tsx) throw new ReplibyteError(`custom transformer ${path}: TypeScript modules need tsx installed (npm install tsx), or compile it to .mjs`);
      imported = await tsx.tsImport(pathToFileURL(path).href, import.meta.url);
    } else {
      imported = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    if (error instanceof ReplibyteError) throw error;
    throw new ReplibyteError(`custom transformer ${path} could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  const candidate = (imported.default ?? imported.transformer) as Partial<CustomTransformerModule> | undefined;
  if (!candidate || typeof candidate.create !== 'function') {
    throw new ReplibyteError(`custom transformer ${path} must export (as default or \`transformer\`) an object with create(options, context)`);
  }
  loaded.set(path, candidate as CustomTransformerModule);
  return candidate as CustomTransformerModule;
}

/** Records the module a config's `module:` text points to, for the synchronous plan to find. */
export function rememberCustomModule(configPath: string, module: CustomTransformerModule): void {
  byConfigPath.set(configPath, module);
}

export function loadedCustomModule(path: string): CustomTransformerModule | undefined {
  return byConfigPath.get(path) ?? loaded.get(path);
}
