import { z } from 'zod';
import { fitLength, refuseUnlessText } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/**
 * The original's `redacted`: keeps the first 3 characters and appends `width` times `character`.
 * Unlike the original (which counted bytes), it counts characters, so multibyte text is never cut mid-way.
 */
export const redacted = defineTransformer({
  name: 'redacted',
  description: 'Keeps the first 3 characters and replaces the rest with `width` times `character` (default * x10).',
  options: z.strictObject({
    character: z.string().length(1).default('*'),
    width: z.number().int().min(0).max(255).default(10),
  }),
  deterministic: true,
  accepts: 'text, varchar(n), char(n), citext',
  refuses: refuseUnlessText,
  examples: [{ input: '4111 1111 1111 1111' }, { input: 'secret', options: { character: '#', width: 4 } }],
  create: (options, { column }) => {
    const mask = options.character.repeat(options.width);
    return (value) => {
      if (value === null) return null;
      const kept = prefixOfCharacters(value, 3);
      return kept === value ? value : fitLength(kept + mask, column);
    };
  },
});

/** The first `count` characters (code points, so a surrogate pair is never cut), without splitting the whole string. */
function prefixOfCharacters(value: string, count: number): string {
  let end = 0;
  for (let seen = 0; seen < count && end < value.length; seen += 1) {
    end += (value.codePointAt(end) as number) > 0xffff ? 2 : 1;
  }
  return end >= value.length ? value : value.slice(0, end);
}
