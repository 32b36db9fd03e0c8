import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

export const country = fakeTextTransformer({
  name: 'country',
  description: 'A country name. Empty stays empty.',
  examples: [{ input: 'France' }],
  generate: ({ seed }) => copycat.country(seed),
});
