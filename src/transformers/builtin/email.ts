import type { Faker } from '@faker-js/faker';
import { fakeTextTransformer } from '../fake-text.js';

const SAFE_DOMAINS = ['example.com', 'example.net', 'example.org'];

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
    const local = localPart(faker);
    const domain = faker.helpers.arrayElement(SAFE_DOMAINS);
    const tail = suffix === undefined ? `@${domain}` : `.${suffix}@${domain}`;
    if (limit === undefined) return `${local}${tail}`;
    const room = limit - tail.length;
    if (room >= 1) return `${local.slice(0, room)}${tail}`;
    // Too short for a domain: a bare local part would not be an email; keep what still is one.
    return `${(suffix ?? local).slice(0, Math.max(1, limit - 2))}@x`.slice(0, limit);
  },
});

/**
 * The shapes people's addresses take (jane.doe, jane_doe42, jane17), from faker's English name lists.
 * Picked straight from the lists rather than through faker's `internet.exampleEmail`, which does the same
 * with ten times the work (patterns, transliteration) and was a transformed table's largest cost.
 */
function localPart(faker: Faker): string {
  const names = nameListsOf(faker);
  const first = faker.helpers.arrayElement(names.first);
  const last = faker.helpers.arrayElement(names.last);
  const separator = faker.helpers.arrayElement(['.', '_']);
  switch (faker.number.int(2)) {
    case 0:
      return `${first}${faker.number.int(99)}`;
    case 1:
      return `${first}${separator}${last}`;
    default:
      return `${first}${separator}${last}${faker.number.int(99)}`;
  }
}

interface NameLists {
  first: string[];
  last: string[];
}

const nameLists = new WeakMap<Faker, NameLists>();

/** Names reduced to what a local part may hold (O'Hara → OHara), computed once per Faker. */
function nameListsOf(faker: Faker): NameLists {
  let lists = nameLists.get(faker);
  if (!lists) {
    const person = faker.rawDefinitions.person as { first_name?: { generic?: string[] }; last_name?: { generic?: string[] } };
    const clean = (names: string[] | undefined, fallback: string) => {
      const kept = (names ?? []).map((name) => name.replace(/[^A-Za-z0-9]/g, '')).filter((name) => name.length > 0);
      return kept.length > 0 ? kept : [fallback];
    };
    lists = { first: clean(person.first_name?.generic, 'user'), last: clean(person.last_name?.generic, 'example') };
    nameLists.set(faker, lists);
  }
  return lists;
}
