import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Faker } from '@faker-js/faker';
import { fitLength, refuseUnlessText } from './column-types.js';
import { keyedDigest } from './salt.js';
import { SeededFaker } from './seeded-faker.js';
import type { ColumnInfo, TransformerDefinition, TransformerExample } from './transformer.js';
import { appendSuffix, refuseTooShortForUnique, suffixOf } from './unique-suffix.js';

export const fakeTextOptions = z.strictObject({
  /** false: a fresh random fake for every row (the original's behaviour); joins on the column then break. */
  deterministic: z.boolean().default(true),
});

export interface FakeTextSpec {
  name: string;
  description: string;
  examples: TransformerExample[];
  /** Keep '' as '' (the original's first-name and email did). Default true. */
  keepEmpty?: boolean;
  /** On a unique column: a digits-only suffix (phone numbers, card numbers) instead of `-` + base36. */
  digitSuffix?: boolean;
  /** generate() places the unique suffix itself (e.g. before an email's `@`). */
  placesSuffix?: boolean;
  /**
   * The fake: `seed` is the keyed digest of the value as hex (copycat's input), `faker` a Faker seeded by it.
   * `limit` is the column's declared length; `suffix` is set on a unique column.
   */
  generate(input: { seed: string; faker: Faker; limit: number | undefined; column: ColumnInfo; suffix?: string }): string;
}

/**
 * A text transformer backed by a fake-data library, with everything the column needs: NULL stays NULL,
 * the output fits the declared length, a unique column gets a keyed suffix so it stays unique.
 */
export function fakeTextTransformer(spec: FakeTextSpec): TransformerDefinition<z.infer<typeof fakeTextOptions>> {
  return {
    name: spec.name,
    description: spec.description,
    options: fakeTextOptions,
    deterministic: true,
    unique: 'keeps',
    accepts: 'text, varchar(n), char(n), citext',
    refuses: (column) => refuseUnlessText(column) ?? refuseTooShortForUnique(column),
    examples: spec.examples,
    create: (options, { column, salt }) => {
      const faker = new SeededFaker(salt, spec.name);
      const keepEmpty = spec.keepEmpty ?? true;
      return (value) => {
        if (value === null || (keepEmpty && value === '')) return value;
        // One keyed digest per value: it seeds the library and gives the unique suffix.
        const digest = options.deterministic ? keyedDigest(salt, spec.name, value) : randomBytes(32);
        const suffix = column.unique ? suffixOf(digest, { digits: spec.digitSuffix ?? false }) : undefined;
        const fake = spec.generate({ seed: digest.toString('hex'), faker: faker.fromDigest(digest), limit: column.maxLength, column, ...(suffix && { suffix }) });
        if (suffix === undefined || spec.placesSuffix) return fitLength(fake, column);
        return appendSuffix(fake, suffix, column, spec.digitSuffix ? '' : '-');
      };
    },
  };
}
