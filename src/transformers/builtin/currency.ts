import { z } from 'zod';
import { fakeTextOptions } from '../fake-text.js';
import { listPickTransformer } from '../list-pick.js';

/**
 * A currency (Greenmask's RandomCurrency; PostgreSQL Anonymizer's dummy_currency_code, _name and
 * _symbol): its ISO 4217 code by default, or its name or symbol.
 */
export const currency = listPickTransformer({
  name: 'currency',
  description: 'A currency: its ISO 4217 code (`format: code`, the default: `EUR`), its name (`name`: `Swiss Franc`) or its symbol (`symbol`: `€`), the same for the same input. Empty stays empty.',
  options: fakeTextOptions.extend({ format: z.enum(['code', 'name', 'symbol']).default('code') }),
  what: 'a currency',
  examples: [{ input: 'USD' }, { input: 'Euro', options: { format: 'name' } }],
  variants: [{ format: 'code' }, { format: 'name' }, { format: 'symbol' }],
  values: (faker, options) => {
    const currencies = Object.values(faker.definitions.finance.currency);
    return [...new Set(currencies.map((c) => c[options.format]).filter((value) => value !== ''))];
  },
});
