import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

export const city = fakeTextTransformer({
  name: 'city',
  description: 'A city name. Empty stays empty.',
  examples: [{ input: 'Boston' }],
  generate: ({ seed }) => copycat.city(seed),
});
