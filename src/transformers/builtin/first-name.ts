import { fakeTextTransformer } from '../fake-text.js';

export const firstName = fakeTextTransformer({
  name: 'first-name',
  description: 'A realistic first name; the same input gives the same name. Empty stays empty.',
  examples: [{ input: 'Margaret' }],
  generate: ({ faker }) => faker.person.firstName(),
});
