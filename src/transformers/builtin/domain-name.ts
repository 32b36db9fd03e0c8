import { fakeTextTransformer } from '../fake-text.js';

/**
 * A domain name (Greenmask's RandomDomainName): a company's own domain names the company. On a unique
 * column the keyed suffix goes before the top-level domain, so the output stays a host name.
 */
export const domainName = fakeTextTransformer({
  name: 'domain-name',
  description: 'A domain name (`ornate-arcade.info`); on a unique column, a keyed suffix before the top-level domain. Empty stays empty.',
  examples: [{ input: 'acme-corp.fr' }],
  placesSuffix: true,
  generate: ({ faker, limit, suffix }) => {
    const domain = faker.internet.domainName();
    const dot = domain.lastIndexOf('.');
    const [name, tld] = [domain.slice(0, dot), domain.slice(dot)];
    const middle = suffix === undefined ? '' : `-${suffix}`;
    const room = limit === undefined ? name.length : limit - middle.length - tld.length;
    // A label never ends with a hyphen: cut `bright-widget` to `bright`, not `bright-`.
    if (room >= 1) return `${name.slice(0, room).replace(/-+$/, '') || name[0]}${middle}${tld}`;
    return (suffix ?? name).slice(0, limit);
  },
});
