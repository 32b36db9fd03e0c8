import { builtinTransformers } from './builtin/index.js';
import { renderReference } from './reference.js';

export const GENERATED_MARKER = '## Reference (generated)';

/** docs/transformers.md: the hand-written part of `current` (everything before the marker), then the generated reference. */
export function transformersDocument(current: string): string {
  const index = current.indexOf(GENERATED_MARKER);
  // Without the marker yet, everything written so far is the hand-written part.
  const intro = index !== -1 ? current.slice(0, index) : current.trim() === '' ? '# Transformers\n\n' : `${current.trimEnd()}\n\n`;
  return `${intro}${GENERATED_MARKER}\n\n${renderReference(builtinTransformers())}`;
}
