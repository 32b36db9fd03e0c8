import { copycat } from '@snaplet/copycat';
import { z } from 'zod';
import { refuseUnlessText } from '../column-types.js';
import { seedFor } from '../salt.js';
import { defineTransformer } from '../transformer.js';

export const email = defineTransformer({
  name: 'email',
  description: 'A realistic, valid email address; the same input gives the same address, so joins on it still join. Empty stays empty.',
  options: z.strictObject({}),
  deterministic: true,
  refuses: refuseUnlessText,
  examples: [{ input: 'jane.doe@acme.com' }],
  create: (_options, { column, salt }) => (value) => {
    if (value === null || value === '') return value;
    const seed = seedFor(salt, 'email', value);
    return copycat.email(seed, column.maxLength === undefined ? {} : { limit: column.maxLength });
  },
});
