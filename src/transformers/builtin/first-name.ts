import { fakeTextTransformer } from '../fake-text.js';
import { genderOptions, sexOf } from './gender.js';

export const firstName = fakeTextTransformer({
  name: 'first-name',
  description: 'A realistic first name; the same input gives the same name. `gender` (`F`/`M`, `female`/`male`, …; usually `{ column: gender }`) picks a name of that sex; any other value, one from the whole list. Empty stays empty.',
  options: genderOptions,
  examples: [{ input: 'Margaret' }, { input: 'Margaret', options: { gender: 'F' } }],
  generate: ({ faker, options }) => faker.person.firstName(sexOf(options.gender)),
});
