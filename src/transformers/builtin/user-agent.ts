import { fakeTextTransformer } from '../fake-text.js';

/** A browser user agent (PostgreSQL Anonymizer's dummy_user_agent): next to an IP address, a fingerprint of its user. */
export const userAgent = fakeTextTransformer({
  name: 'user-agent',
  description: 'A browser user agent string, cut to the column\'s length. Empty stays empty.',
  examples: [{ input: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }],
  generate: ({ faker }) => faker.internet.userAgent(),
});
