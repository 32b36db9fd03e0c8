import { z } from 'zod';
import { fakeTextOptions, fakeTextTransformer } from '../fake-text.js';

/**
 * The original's `phone-number`: a US-style number (the original also replaced '', which now stays ''
 * as with every text transformer); `format: international` writes it in E.164 (Greenmask's
 * RandomE164PhoneNumber). On a unique column the number is `+1` and 13 digits of the keyed digest (no
 * suffix that would make it look wrong), in either format.
 */
export const phoneNumber = fakeTextTransformer({
  name: 'phone-number',
  description: 'A US-style phone number: `format: national` (the default: `(425) 449-2439`) or `international` (E.164: `+14254492439`). Empty stays empty.',
  options: fakeTextOptions.extend({ format: z.enum(['national', 'international']).default('national') }),
  examples: [{ input: '+33 6 12 34 56 78' }, { input: '+33 6 12 34 56 78', options: { format: 'international' } }],
  placesSuffix: true,
  digitSuffix: true,
  generate: ({ faker, suffix, options }) => (suffix === undefined ? faker.phone.number({ style: options.format }) : `+1${suffix.slice(0, 13)}`),
});
