import { fakeTextTransformer } from '../fake-text.js';

export const city = fakeTextTransformer({
  name: 'city',
  description: 'A city name. Empty stays empty.',
  examples: [{ input: 'Boston' }],
  generate: ({ faker }) => faker.location.city(),
});
