import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import type { CustomModules } from '../custom-modules.js';
import { seedFor } from '../salt.js';
import { defineTransformer } from '../transformer.js';

/**
 * A transformer written by the user: `module` is a JavaScript (.js/.mjs) or TypeScript (.ts, through
 * tsx) file exporting one (see custom-modules.ts for its shape), `options` are checked by its schema.
 * The module is imported before the dump starts; its path is resolved from the config file's directory.
 */
export const customTransformer = (modules: CustomModules) =>
  defineTransformer({
  name: 'custom',
  description: 'Runs a transformer exported by a JavaScript/TypeScript module: `{module: ./my-transformer.mjs, options: {...}}`.',
  options: z.strictObject({ module: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'what the module accepts',
  examples: [],
  create: (options, context) => {
    const module = modules.get(options.module);
    if (!module) throw new ReplibyteError(`custom transformer module ${options.module} was not loaded (load the config's modules with registry.customModules.load first)`);
    const refusal = module.refuses?.(context.column);
    if (refusal) throw new ReplibyteError(`the custom transformer ${options.module} cannot transform ${context.column.name} (${context.column.type}): ${refusal}`);
    let moduleOptions: unknown = options.options;
    if (module.options) {
      const parsed = module.options.safeParse(options.options);
      if (!parsed.success) throw new ReplibyteError(`options: ${parsed.error?.issues?.[0]?.message ?? 'invalid'} (custom transformer ${options.module})`);
      moduleOptions = parsed.data;
    }
    const seed = (value: string) => seedFor(context.salt, `custom ${options.module}`, value);
    const apply = module.create(moduleOptions, { ...context, seed });
    if (typeof apply !== 'function') throw new ReplibyteError(`custom transformer ${options.module}: create() must return a function`);
    return (value, row) => {
      const out = apply(value, row);
      if (out !== null && typeof out !== 'string') throw new Error(`custom transformer ${options.module} returned a ${typeof out}, not a string or null`);
      return out;
    };
  },
});
