import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

export const lastName = fakeTextTransformer({
  name: 'last-name',
  description: 'A realistic last name. Empty stays empty.',
  examples: [{ input: 'Hamilton' }],
  generate: ({ seed }) => copycat.lastName(seed),
});
