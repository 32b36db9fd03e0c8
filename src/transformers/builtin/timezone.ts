import { fakeTextOptions } from '../fake-text.js';
import { listPickTransformer } from '../list-pick.js';

/** An IANA time zone name (Greenmask's RandomTimezone, PostgreSQL Anonymizer's dummy_timezone). */
export const timezone = listPickTransformer({
  name: 'timezone',
  description: 'An IANA time zone name (`Europe/Vilnius`, `America/Argentina/Salta`), one that fits the column, the same for the same input. Empty stays empty.',
  options: fakeTextOptions,
  what: 'a time zone name',
  examples: [{ input: 'Europe/Paris' }],
  values: (faker) => faker.definitions.location.time_zone,
});
