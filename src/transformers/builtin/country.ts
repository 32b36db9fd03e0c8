import { fakeTextTransformer } from '../fake-text.js';

export const country = fakeTextTransformer({
  name: 'country',
  description: 'A country name. Empty stays empty.',
  examples: [{ input: 'France' }],
  generate: ({ faker }) => faker.location.country(),
});
