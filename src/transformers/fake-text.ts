import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Faker } from '@faker-js/faker';
import { fitLength, isEmptyText, refuseUnlessText } from './column-types.js';
import { keyedDigest, keyedSeed } from './salt.js';
import type { RandomSource } from './random-source.js';
import { sharedSeededFaker } from './seeded-faker.js';
import type { ColumnInfo, TransformerDefinition, TransformerExample } from './transformer.js';
import { appendSuffix, refuseTooShortForUnique, suffixOf } from './unique-suffix.js';

export const fakeTextOptions = z.strictObject({
  /** false: a fresh random fake for every row (the original's behaviour); joins on the column then break. */
  deterministic: z.boolean().default(true),
});

export type FakeTextOptions = z.infer<typeof fakeTextOptions>;

export interface FakeTextSpec<Options extends FakeTextOptions = FakeTextOptions> {
  name: string;
  /** Options beyond `deterministic` (a strict object that extends fakeTextOptions). */
  options?: z.ZodType<Options>;
  description: string;
  examples: TransformerExample[];
  /** On a unique column: a digits-only suffix (phone numbers, card numbers) instead of `-` + base36. */
  digitSuffix?: boolean;
  /** generate() places the unique suffix itself (e.g. before an email's `@`). */
  placesSuffix?: boolean;
  /**
   * The fake: `faker` is a Faker whose randomness is seeded by the keyed digest of the value.
   * `limit` is the column's declared length; `suffix` is set on a unique column.
   */
  generate(input: { faker: Faker; random: RandomSource; limit: number | undefined; column: ColumnInfo; suffix?: string; options: Options }): string;
}

/**
 * A text transformer backed by a fake-data library, with everything the column needs: NULL stays NULL, '' stays '',
 * the output fits the declared length, a unique column gets a keyed suffix so it stays unique.
 */
export function fakeTextTransformer<Options extends FakeTextOptions = FakeTextOptions>(spec: FakeTextSpec<Options>): TransformerDefinition<Options> {
  return {
    name: spec.name,
    description: spec.description,
    options: spec.options ?? (fakeTextOptions as unknown as z.ZodType<Options>),
    deterministic: true,
    unique: 'keeps',
    accepts: 'text, varchar(n), char(n), citext',
    refuses: (column) => refuseUnlessText(column) ?? refuseTooShortForUnique(column),
    examples: spec.examples,
    create: (options, { column, salt }) => {
      const faker = sharedSeededFaker(salt, spec.name);
      // What the generator gets is the same for every value of the column, but for the suffix.
      const input = { faker: faker.faker, random: faker.random, limit: column.maxLength, column, options };
      const fakeOf = (value: string): string => {
        // One keyed digest per value: it seeds the library and, on a unique column, gives the suffix too.
        const digest = !options.deterministic ? randomBytes(32) : column.unique ? keyedDigest(salt, spec.name, value) : keyedSeed(salt, spec.name, value);
        const suffix = column.unique ? suffixOf(digest, { digits: spec.digitSuffix ?? false }) : undefined;
        faker.fromDigest(digest);
        const fake = spec.generate(suffix === undefined ? input : { ...input, suffix });
        if (suffix === undefined || spec.placesSuffix) return fitLength(fake, column);
        return appendSuffix(fake, suffix, column, spec.digitSuffix ? '' : '-');
      };
      const fakeOfRecent = options.deterministic ? remembered(fakeOf) : fakeOf;
      // Empty text stays empty, as for every transformer that writes text (docs/transformers.md, "Empty text").
      return (value) => (value === null || isEmptyText(value, column) ? value : fakeOfRecent(value));
    },
  };
}

/** How many recent values a deterministic transformer remembers, and how long they may be: 16k × (64 + 256) characters stays under 10 MB. */
const REMEMBERED_VALUES = 16_384;
const REMEMBERED_VALUE_LENGTH = 64;
const REMEMBERED_FAKE_LENGTH = 256;

/**
 * Real columns repeat: first names, cities, the handful of staff in an audit log. A deterministic fake
 * is a pure function of the value, so the last distinct values' fakes are kept and reused instead of
 * recomputed. Bounded: only short values are kept, and when full it starts over, which costs a
 * recomputation, never memory. On a column of distinct values (emails) remembering only costs (about a
 * quarter of the transformer's time, in map upkeep and garbage), so when one full round found fewer than
 * one value in four, the next rounds' worth of values skip it before it tries again.
 */
export function remembered(fakeOf: (value: string) => string): (value: string) => string {
  let recent = new Map<string, string>();
  let lookups = 0;
  let hits = 0;
  let skipping = 0;
  return (value) => {
    if (value.length > REMEMBERED_VALUE_LENGTH) return fakeOf(value);
    if (skipping > 0) {
      skipping -= 1;
      return fakeOf(value);
    }
    lookups += 1;
    let fake = recent.get(value);
    if (fake !== undefined) {
      hits += 1;
      return fake;
    }
    fake = fakeOf(value);
    if (fake.length > REMEMBERED_FAKE_LENGTH) return fake;
    if (recent.size >= REMEMBERED_VALUES) {
      // A round is over: was it worth it? Few hits → stop remembering for the next 16 rounds' worth.
      if (hits * 4 < lookups) skipping = 16 * REMEMBERED_VALUES;
      recent = new Map();
      lookups = 0;
      hits = 0;
    }
    recent.set(value, fake);
    return fake;
  };
}
