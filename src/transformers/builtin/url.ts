import { fakeTextTransformer } from '../fake-text.js';

export const url = fakeTextTransformer({
  name: 'url',
  description: 'A URL. Empty stays empty.',
  examples: [{ input: 'https://intranet.acme.com/u/jane' }],
  generate: ({ faker }) => faker.internet.url({ appendSlash: false }),
});
