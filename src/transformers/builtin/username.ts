import { fakeTextTransformer } from '../fake-text.js';

export const username = fakeTextTransformer({
  name: 'username',
  description: 'A plausible user name (letters, digits, `_`, `.`). Empty stays empty.',
  examples: [{ input: 'mhamilton' }],
  generate: ({ faker }) => faker.internet.username(),
});
