import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

export const fullName = fakeTextTransformer({
  name: 'full-name',
  description: 'A realistic first and last name. Empty stays empty.',
  examples: [{ input: 'Margaret Hamilton' }],
  generate: ({ seed }) => copycat.fullName(seed),
});
