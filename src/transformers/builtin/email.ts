import { copycat } from '@snaplet/copycat';
import { fakeTextTransformer } from '../fake-text.js';

/** On a unique column the keyed suffix goes before the `@`, so the address stays valid and distinct. */
export const email = fakeTextTransformer({
  name: 'email',
  description: 'A realistic, valid email address; the same input gives the same address, so joins on it still join. Empty stays empty.',
  examples: [{ input: 'jane.doe@acme.com' }],
  placesSuffix: true,
  generate: ({ seed, limit, suffix }) => {
    if (suffix === undefined) return copycat.email(seed, limit === undefined ? {} : { limit });
    const [local = 'user', domain = 'example.com'] = copycat.email(seed).split('@');
    const tail = `.${suffix}@${domain}`;
    const room = limit === undefined ? local.length : Math.max(1, limit - tail.length);
    const address = `${local.slice(0, room)}${tail}`;
    return limit !== undefined && address.length > limit ? `${suffix}@${domain}`.slice(-limit) : address;
  },
});
