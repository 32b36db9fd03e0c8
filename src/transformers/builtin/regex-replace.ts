import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { fitLength, isEmptyText, refuseUnlessText } from '../column-types.js';
import { defineTransformer } from '../transformer.js';

/**
 * A regular-expression replacement (JavaScript syntax: `$1`, `$<name>` in the replacement). Keeps the
 * parts of a value the pattern does not match: `+33 6 12 34 56 78` with `\d(?=(?:\s*\d){2})` → `X`
 * hides all but the last two digits, whatever the value's length.
 */
export const regexReplace = defineTransformer({
  name: 'regex-replace',
  description:
    'Replaces what `pattern` (a JavaScript regular expression) matches with `replacement` (`$1`, `$<name>` refer to groups; default empty). `flags` default `g` (every match); `i`, `m`, `s`, `u` may be added. The result is cut to the column\'s length; empty text stays empty.',
  options: z.strictObject({
    pattern: z.string().min(1),
    replacement: z.string().default(''),
    flags: z
      .string()
      .regex(/^[gimsu]*$/, 'flags are among g, i, m, s, u')
      .default('g'),
  }),
  deterministic: true,
  accepts: 'text, varchar(n), char(n), citext',
  refuses: refuseUnlessText,
  examples: [
    { input: '+33 6 12 34 56 78', options: { pattern: '\\d(?=(?:\\s*\\d){2})', replacement: 'X' } },
    { input: 'jane.doe@acme.com', options: { pattern: '^[^@]+', replacement: 'user' } },
  ],
  create: (options, { column }) => {
    let regex: RegExp;
    try {
      regex = new RegExp(options.pattern, options.flags);
    } catch (error) {
      throw new ReplibyteError(`invalid pattern: ${(error as Error).message}`);
    }
    return (value) => (value === null || isEmptyText(value, column) ? value : fitLength(value.replace(regex, options.replacement), column));
  },
});
