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

/** Where a module path of the config points: relative paths are read from the config file's directory. */
export function resolveModulePath(path: string, configOrigin: string): string {
  return isAbsolute(path) ? path : resolve(dirname(resolve(configOrigin)), path);
}

/** Where a custom transformer is named in a config: its path, for the problem's line. */
export type ModuleUse = { path: string; at: Array<string | number> };

/** Every `custom` transformer of the config, with where its `module` option is. */
function moduleUses(config: ConfigWithTransformers): ModuleUse[] {
  return (config.source?.transformers ?? []).flatMap((table, tableIndex) =>
    table.columns.flatMap((column, columnIndex) => {
      const path = column.transformer_options?.module;
      // A missing or non-text `module` is reported by the options check.
      if (column.transformer_name !== 'custom' || typeof path !== 'string') return [];
      return [{ path, at: ['source', 'transformers', tableIndex, 'columns', columnIndex, 'transformer_options', 'module'] }];
    }),
  );
}

type ConfigWithTransformers = { origin: string; source?: { transformers?: Array<{ columns: Array<{ transformer_name: string; transformer_options?: Record<string, unknown> }> }> } };

/**
 * The custom transformer modules of one config, loaded once (`dump create` and `config check` alike),
 * and found by the synchronous plan through the registry that holds them: one config's modules never
 * leak into another run in the same process.
 */
export class CustomModules {
  /** The module path as the config writes it → the loaded module (the plan only sees the config's text). */
  private readonly byConfigPath = new Map<string, CustomTransformerModule>();

  /** Imports every module the config names; returns each one that failed, with where it is named. */
  async load(config: ConfigWithTransformers): Promise<Array<ModuleUse & { error: ReplibyteError }>> {
    const failures: Array<ModuleUse & { error: ReplibyteError }> = [];
    for (const use of moduleUses(config)) {
      try {
        this.byConfigPath.set(use.path, await loadCustomModule(resolveModulePath(use.path, config.origin)));
      } catch (error) {
        if (!(error instanceof ReplibyteError)) throw error;
        failures.push({ ...use, error });
      }
    }
    return failures;
  }

  get(configPath: string): CustomTransformerModule | undefined {
    return this.byConfigPath.get(configPath);
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
