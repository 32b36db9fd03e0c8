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
  create: (options, { column }) => (value) => {
    if (value === null) return null;
    const characters = [...value];
    if (characters.length <= 3) return value;
    return fitLength(characters.slice(0, 3).join('') + options.character.repeat(options.width), column);
  },
});
