import { ReplibyteError } from '../errors.js';
import { CustomModules } from './custom-modules.js';
import type { TransformerDefinition } from './transformer.js';

/** Transformers by name. Refuses duplicates, so a custom transformer cannot silently shadow a built-in. */
export class TransformerRegistry {
  /** The custom transformer modules of the config this registry serves (loaded by `customModules.load`). */
  readonly customModules = new CustomModules();
  private readonly byName = new Map<string, TransformerDefinition<unknown>>();

  register<Options>(definition: TransformerDefinition<Options>): this {
    if (this.byName.has(definition.name)) throw new ReplibyteError(`transformer ${definition.name} is defined twice`);
    this.byName.set(definition.name, definition as unknown as TransformerDefinition<unknown>);
    return this;
  }

  get(name: string): TransformerDefinition<unknown> | undefined {
    return this.byName.get(name);
  }

  all(): TransformerDefinition<unknown>[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
