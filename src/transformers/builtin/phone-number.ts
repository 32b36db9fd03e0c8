import { fakeTextTransformer } from '../fake-text.js';

/**
 * The original's `phone-number`: any string, even empty, becomes a US-style number. On a unique column
 * the number is `+1` and 13 digits of the keyed digest (no suffix that would make it look wrong).
 */
export const phoneNumber = fakeTextTransformer({
  name: 'phone-number',
  description: 'A US-style phone number; any text, even empty, is replaced.',
  examples: [{ input: '+33 6 12 34 56 78' }],
  keepEmpty: false,
  placesSuffix: true,
  digitSuffix: true,
  generate: ({ faker, suffix }) => (suffix === undefined ? faker.phone.number({ style: 'national' }) : `+1${suffix.slice(0, 13)}`),
});
