import { fakeTextTransformer } from '../fake-text.js';
import { genderOptions, sexOf } from './gender.js';

export const fullName = fakeTextTransformer({
  name: 'full-name',
  description: 'A realistic first and last name; `gender` as for `first-name`. Empty stays empty.',
  options: genderOptions,
  examples: [{ input: 'Margaret Hamilton' }],
  generate: ({ faker, options }) => `${faker.person.firstName(sexOf(options.gender))} ${faker.person.lastName()}`,
});
