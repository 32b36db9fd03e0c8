import { fakeTextTransformer } from '../fake-text.js';

export const address = fakeTextTransformer({
  name: 'address',
  description: 'A street address (number and street). Empty stays empty.',
  examples: [{ input: '1600 Pennsylvania Avenue NW' }],
  generate: ({ faker }) => faker.location.streetAddress(),
});
