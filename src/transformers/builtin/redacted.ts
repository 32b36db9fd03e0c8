import { z } from 'zod';
import { fitLength, refuseUnlessText } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/**
 * The original's `redacted`: keeps the first 3 characters and appends `width` times `character`.
 * Unlike the original (which counted bytes and left values of 3 bytes or fewer whole), it counts
 * characters (code points), so multibyte text is never cut mid-way, and it always hides at least 3 of
 * them: a value of 3 characters or fewer is replaced whole, one of 4 or 5 keeps only 1 or 2.
 */
export const redacted = defineTransformer({
  name: 'redacted',
  description: 'Keeps the first 3 characters and replaces the rest with `width` times `character` (default * x10); at least 3 characters are always hidden, so a value of 3 characters or fewer is replaced whole.',
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
      // char(n) pads with spaces: the padding is not part of what is hidden or shown.
      const characters = [...value.trimEnd()].length;
      if (characters === 0) return value;
      // At least 3 characters are always hidden: a 2-letter value is as personal as a long one.
      const kept = prefixOfCharacters(value, Math.max(0, Math.min(3, characters - 3)));
      return fitLength(kept + mask, column);
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
