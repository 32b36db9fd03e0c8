import type { Faker } from '@faker-js/faker';
import { z } from 'zod';
import { fakeTextOptions, fakeTextTransformer } from '../fake-text.js';
import type { RandomSource } from '../random-source.js';

const SAFE_DOMAINS = ['example.com', 'example.net', 'example.org'];

/**
 * A "safe" address (example.com, example.net, example.org: domains that can never receive mail, as the
 * original's safe email), so a development copy cannot write to real people. On a unique column the
 * keyed suffix goes before the `@`, so the address stays valid and distinct.
 */
export const email = fakeTextTransformer({
  name: 'email',
  description:
    'A realistic, valid email address at example.com/.net/.org (never a real mailbox); the same input gives the same address, so joins on it still join. Empty stays empty. `first_name` and `last_name` (usually `{ transformed: first_name }`, `{ transformed: last_name }`) make the address from those names.',
  options: fakeTextOptions.extend({ first_name: z.string().optional(), last_name: z.string().optional() }),
  examples: [{ input: 'jane.doe@acme.com' }, { input: 'jane.doe@acme.com', options: { first_name: 'Émile', last_name: "O'Hara" } }],
  placesSuffix: true,
  generate: ({ faker, random, limit, suffix, options }) => {
    const names = nameListsOf(faker);
    const given = { first: cleanName(options.first_name), last: cleanName(options.last_name) };
    const local = localPart({ first: given.first ? [given.first] : names.first, last: given.last ? [given.last] : names.last }, random);
    const domain = pick(SAFE_DOMAINS, random);
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
 * Picked straight from the lists with the value's random stream rather than through faker's
 * `internet.exampleEmail`, which does the same with ten times the work (patterns, transliteration,
 * argument checks) and was a transformed table's largest cost.
 */
function localPart(names: NameLists, random: RandomSource): string {
  const first = pick(names.first, random);
  const last = pick(names.last, random);
  const separator = random.intBelow(2) === 0 ? '.' : '_';
  switch (random.intBelow(3)) {
    case 0:
      return `${first}${random.intBelow(100)}`;
    case 1:
      return `${first}${separator}${last}`;
    default:
      return `${first}${separator}${last}${random.intBelow(100)}`;
  }
}

/** A name as a local part may hold it: Émile → Emile, O'Hara → OHara, lower case; undefined when nothing is left. */
function cleanName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const clean = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
  return clean.length > 0 ? clean : undefined;
}

function pick(list: readonly string[], random: RandomSource): string {
  return list[random.intBelow(list.length)] as string;
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
