import { TransformerRegistry } from '../registry.js';
import { email } from './email.js';
import { firstName } from './first-name.js';
import { random } from './random.js';
import { redacted } from './redacted.js';
import { transient } from './transient.js';

/** The registry of every built-in transformer. */
export function builtinTransformers(): TransformerRegistry {
  return new TransformerRegistry().register(transient).register(redacted).register(random).register(firstName).register(email);
}
