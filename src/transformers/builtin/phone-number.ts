import { fakeTextTransformer } from '../fake-text.js';

/**
 * The original's `phone-number`: a US-style number (the original also replaced '', which now stays ''
 * as with every text transformer). On a unique column the number is `+1` and 13 digits of the keyed
 * digest (no suffix that would make it look wrong).
 */
export const phoneNumber = fakeTextTransformer({
  name: 'phone-number',
  description: 'A US-style phone number. Empty stays empty.',
  examples: [{ input: '+33 6 12 34 56 78' }],
  placesSuffix: true,
  digitSuffix: true,
  generate: ({ faker, suffix }) => (suffix === undefined ? faker.phone.number({ style: 'national' }) : `+1${suffix.slice(0, 13)}`),
});
