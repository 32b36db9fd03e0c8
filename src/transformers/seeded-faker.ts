import { randomBytes } from 'node:crypto';
import { base, en, Faker, type Randomizer } from '@faker-js/faker';
import { RandomSource } from './random-source.js';
import { keyedDigest } from './salt.js';

/**
 * One Faker instance whose randomness is reset, value by value, to a stream seeded by the keyed digest of
 * the value: the same value gives the same fake in every table and every run, and faker's locales and
 * word lists do the rest. Faker never sees the value itself.
 */
export class SeededFaker {
  private source = RandomSource.fresh();
  readonly faker: Faker;

  constructor(
    private readonly salt: Buffer,
    private readonly label: string,
  ) {
    const randomizer: Randomizer = { next: () => this.source.next(), seed: () => undefined };
    this.faker = new Faker({ locale: [en, base], randomizer });
  }

  /** Faker positioned for this value (deterministic), or on fresh randomness. */
  for(value: string, deterministic = true): Faker {
    return this.fromDigest(deterministic ? keyedDigest(this.salt, this.label, value) : randomBytes(32));
  }

  /** Faker positioned on a digest the caller already computed (its first 16 bytes seed the stream). */
  fromDigest(digest: Buffer): Faker {
    this.source = RandomSource.fromDigest(digest);
    return this.faker;
  }
}
