import { copycat } from '@snaplet/copycat';
import { z } from 'zod';
import { fitLength, refuseUnlessText } from '../column-types.js';
import { seedFor } from '../salt.js';
import { defineTransformer } from '../transformer.js';

export const firstName = defineTransformer({
  name: 'first-name',
  description: 'A realistic first name; the same input gives the same name. Empty stays empty.',
  options: z.strictObject({}),
  deterministic: true,
  refuses: refuseUnlessText,
  examples: [{ input: 'Margaret' }],
  create: (_options, { column, salt }) => (value) => {
    if (value === null || value === '') return value;
    return fitLength(copycat.firstName(seedFor(salt, 'first-name', value)), column);
  },
});
