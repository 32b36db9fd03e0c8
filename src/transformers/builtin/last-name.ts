import { fakeTextTransformer } from '../fake-text.js';

export const lastName = fakeTextTransformer({
  name: 'last-name',
  description: 'A realistic last name. Empty stays empty.',
  examples: [{ input: 'Hamilton' }],
  generate: ({ faker }) => faker.person.lastName(),
});
