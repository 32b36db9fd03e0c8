import { fakeTextTransformer } from '../fake-text.js';

export const zipCode = fakeTextTransformer({
  name: 'zip-code',
  description: 'A postal code (US ZIP format, 5 digits). Empty stays empty.',
  examples: [{ input: '02139' }],
  generate: ({ faker }) => faker.location.zipCode('#####'),
});
