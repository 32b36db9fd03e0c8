import { fakeTextTransformer } from '../fake-text.js';

export const fullName = fakeTextTransformer({
  name: 'full-name',
  description: 'A realistic first and last name. Empty stays empty.',
  examples: [{ input: 'Margaret Hamilton' }],
  generate: ({ faker }) => `${faker.person.firstName()} ${faker.person.lastName()}`,
});
