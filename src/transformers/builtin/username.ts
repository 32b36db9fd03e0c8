import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

export const username = fakeTextTransformer({
  name: 'username',
  description: 'A plausible user name (letters, digits, `_`, `.`). Empty stays empty.',
  examples: [{ input: 'mhamilton' }],
  generate: ({ seed, limit }) => copycat.username(seed, limit === undefined ? {} : { limit }),
});
