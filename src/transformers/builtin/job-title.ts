import { fakeTextTransformer } from '../fake-text.js';

/** A job title (PostgreSQL Anonymizer's dummy_profession): with a name and an employer, it picks out a person. */
export const jobTitle = fakeTextTransformer({
  name: 'job-title',
  description: 'A job title (`Senior Intranet Architect`). Empty stays empty.',
  examples: [{ input: 'Head of Payroll, Acme Lyon' }],
  generate: ({ faker }) => faker.person.jobTitle(),
});
