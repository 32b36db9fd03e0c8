import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReplibyteError } from '../../errors.js';
import { CustomModules } from '../custom-modules.js';
import { customTransformer } from './custom.js';

// The config "lives" in test/fixtures/, so module paths are read from there.
const origin = fileURLToPath(new URL('../../../test/fixtures/conf.yaml', import.meta.url));
const column = { schema: 'public', table: 'users', name: 'email', type: 'text', baseType: 'text' };
const row = { get: () => null };
const configWith = (module: string, options?: Record<string, unknown>) => ({
  origin,
  source: { transformers: [{ columns: [{ transformer_name: 'custom', transformer_options: { module, ...(options && { options }) } }] }] },
});

/** A fresh set of modules and the `custom` transformer bound to it, as each registry has. */
async function loaded(config: ReturnType<typeof configWith>) {
  const modules = new CustomModules();
  const failures = await modules.load(config);
  if (failures[0]) throw failures[0].error;
  return customTransformer(modules);
}

describe('custom (JavaScript/TypeScript module)', () => {
  it('loads an .mjs module relative to the config, checks its options with its schema, and runs it deterministically', async () => {
    const custom = await loaded(configWith('./transformers/domain-keeper.mjs'));
    const options = custom.options.parse({ module: './transformers/domain-keeper.mjs', options: { domain: 'corp.test' } });
    const first = custom.create(options, { column, salt: Buffer.from('one') });
    const again = custom.create(options, { column, salt: Buffer.from('one') });
    const other = custom.create(options, { column, salt: Buffer.from('two') });
    const out = first('jane@acme.com', row);
    expect(out).toMatch(/^[0-9a-f]{10}@corp\.test$/);
    expect(again('jane@acme.com', row)).toBe(out);
    expect(other('jane@acme.com', row)).not.toBe(out);
    expect(first(null, row)).toBeNull();
    expect(() => custom.create(custom.options.parse({ module: './transformers/domain-keeper.mjs', options: { domain: 3 } }), { column, salt: Buffer.from('one') })).toThrow(ReplibyteError);
    expect(() => custom.create(options, { column: { ...column, type: 'integer', baseType: 'int4' }, salt: Buffer.from('one') })).toThrow(/text only/);
  });

  it('loads a .ts module through tsx', async () => {
    const custom = await loaded(configWith('./transformers/shout.ts'));
    const apply = custom.create(custom.options.parse({ module: './transformers/shout.ts', options: { suffix: '!' } }), { column, salt: Buffer.from('one') });
    expect(apply('quiet', row)).toBe('QUIET!');
  });

  it('says which module is missing', async () => {
    await expect(loaded(configWith('./transformers/nope.mjs'))).rejects.toThrow(/nope\.mjs could not be loaded/);
  });

  it("keeps each registry's modules to itself: a module loaded for one config is unknown to another registry", async () => {
    await loaded(configWith('./transformers/domain-keeper.mjs'));
    const other = customTransformer(new CustomModules());
    const options = other.options.parse({ module: './transformers/domain-keeper.mjs', options: { domain: 'corp.test' } });
    expect(() => other.create(options, { column, salt: Buffer.from('one') })).toThrow(/was not loaded/);
  });
});
