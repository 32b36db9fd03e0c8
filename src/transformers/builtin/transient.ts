import { z } from 'zod';
import { defineTransformer } from '../transformer.js';

export const transient = defineTransformer({
  name: 'transient',
  description: 'Leaves the value unchanged (documents that a column was reviewed and is safe).',
  options: z.strictObject({}),
  deterministic: true,
  unique: 'keeps',
  accepts: 'any',
  examples: [{ input: 'Jane Doe' }],
  create: () => (value) => value,
});
