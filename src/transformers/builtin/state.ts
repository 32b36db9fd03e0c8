import { z } from 'zod';
import { fakeTextOptions } from '../fake-text.js';
import { listPickTransformer } from '../list-pick.js';

/** A state or region (PostgreSQL Anonymizer's fake_region, dummy_state_name and dummy_state_abbr). */
export const state = listPickTransformer({
  name: 'state',
  description: 'A US state: its name (`Ohio`), or its two-letter code with `abbreviated: true` (`OH`), the same for the same input. Empty stays empty.',
  options: fakeTextOptions.extend({ abbreviated: z.boolean().default(false) }),
  what: 'a state',
  examples: [{ input: 'Bavaria' }, { input: 'NY', options: { abbreviated: true } }],
  variants: [{ abbreviated: false }, { abbreviated: true }],
  values: (faker, options) => (options.abbreviated ? faker.definitions.location.state_abbr : faker.definitions.location.state),
});
