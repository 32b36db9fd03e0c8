import { z } from 'zod';
import { fakeTextOptions } from '../fake-text.js';
import { listPickTransformer } from '../list-pick.js';

/**
 * An ISO 3166-1 country code (PostgreSQL Anonymizer's dummy_country_code): where a column holds `FR`,
 * `country` (a country's name) would be cut to two meaningless letters.
 */
export const countryCode = listPickTransformer({
  name: 'country-code',
  description: 'An ISO 3166-1 country code: `alpha-2` (the default: `DE`), `alpha-3` (`DEU`) or `numeric` (`276`), the same for the same input. Empty stays empty.',
  options: fakeTextOptions.extend({ format: z.enum(['alpha-2', 'alpha-3', 'numeric']).default('alpha-2') }),
  what: 'a country code',
  examples: [{ input: 'FR', column: { type: 'character(2)', baseType: 'bpchar', maxLength: 2 } }, { input: 'FRA', options: { format: 'alpha-3' } }],
  variants: [{ format: 'alpha-2' }, { format: 'alpha-3' }, { format: 'numeric' }],
  values: (faker, options) => {
    const field = ({ 'alpha-2': 'alpha2', 'alpha-3': 'alpha3', numeric: 'numeric' } as const)[options.format];
    return faker.definitions.location.country_code.map((code) => code[field]);
  },
});
