import { fakeTextTransformer } from '../fake-text.js';

export const company = fakeTextTransformer({
  name: 'company',
  description: 'A company name. Empty stays empty.',
  examples: [{ input: 'Acme Corporation' }],
  generate: ({ faker }) => faker.company.name(),
});
