import { z } from 'zod';
import { isEmptyText, refuseUnlessText } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/** Keeps the first and last characters (e.g. the last 4 digits of a card) and masks the rest, keeping the length. */
export const mask = defineTransformer({
  name: 'mask',
  description: 'Keeps the first `keep_first` and last `keep_last` characters and replaces every other one with `character`; the length is kept.',
  options: z.strictObject({
    keep_first: z.number().int().min(0).default(0),
    keep_last: z.number().int().min(0).default(4),
    character: z.string().length(1).default('*'),
  }),
  deterministic: true,
  accepts: 'text, varchar(n), char(n), citext',
  refuses: refuseUnlessText,
  examples: [{ input: '4111 1111 1111 1234' }, { input: 'jane.doe@acme.com', options: { keep_first: 2, keep_last: 0, character: '#' } }],
  create: (options, { column }) => (value) => {
    if (value === null || isEmptyText(value, column)) return value;
    const characters = [...value];
    if (options.keep_first + options.keep_last >= characters.length) {
      // Too short to keep anything and still hide something: mask it all.
      return options.character.repeat(characters.length);
    }
    return characters.map((c, i) => (i < options.keep_first || i >= characters.length - options.keep_last ? c : options.character)).join('');
  },
});
