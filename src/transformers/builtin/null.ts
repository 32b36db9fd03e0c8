import { z } from 'zod';
import { defineTransformer } from '../transformer.js';

export const nullTransformer = defineTransformer({
  name: 'null',
  description: 'Replaces every value with NULL (refused on NOT NULL columns).',
  options: z.strictObject({}),
  deterministic: true,
  unique: 'keeps',
  accepts: 'any nullable column',
  refuses: (column) => (column.notNull ? 'the column is NOT NULL' : undefined),
  examples: [{ input: 'jane.doe@acme.com' }],
  create: () => () => null,
});
