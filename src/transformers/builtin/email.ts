import { fakeTextTransformer } from '../fake-text.js';

/**
 * A "safe" address (example.com, example.net, example.org: domains that can never receive mail, as the
 * original's safe email), so a development copy cannot write to real people. On a unique column the
 * keyed suffix goes before the `@`, so the address stays valid and distinct.
 */
export const email = fakeTextTransformer({
  name: 'email',
  description: 'A realistic, valid email address at example.com/.net/.org (never a real mailbox); the same input gives the same address, so joins on it still join. Empty stays empty.',
  examples: [{ input: 'jane.doe@acme.com' }],
  placesSuffix: true,
  generate: ({ faker, limit, suffix }) => {
    const [local = 'user', domain = 'example.com'] = faker.internet.exampleEmail().split('@');
    const tail = suffix === undefined ? `@${domain}` : `.${suffix}@${domain}`;
    if (limit === undefined) return `${local}${tail}`;
    const room = limit - tail.length;
    if (room >= 1) return `${local.slice(0, room)}${tail}`;
    // Too short for a domain: a bare local part would not be an email; keep what still is one.
    return `${(suffix ?? local).slice(0, Math.max(1, limit - 2))}@x`.slice(0, limit);
  },
});
