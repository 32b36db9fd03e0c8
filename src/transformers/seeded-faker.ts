import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Faker, Randomizer } from '@faker-js/faker';
import { RandomSource } from './random-source.js';
import { keyedSeed } from './salt.js';

/**
 * One Faker instance whose randomness is reset, value by value, to a stream seeded by the keyed digest of
 * the value: the same value gives the same fake in every table and every run, and faker's locales and
 * word lists do the rest. Faker never sees the value itself.
 */
export class SeededFaker {
  private readonly source = RandomSource.fresh();

  /** The stream behind `faker`, for picks that need no faker method (cheaper: no argument checks). */
  get random(): RandomSource {
    return this.source;
  }
  readonly faker: Faker;

  constructor(
    private readonly salt: Buffer,
    private readonly label: string,
  ) {
    const randomizer: Randomizer = { next: () => this.source.next(), seed: () => undefined };
    this.faker = englishFaker(randomizer);
  }

  /** Faker positioned for this value (deterministic), or on fresh randomness. */
  for(value: string, deterministic = true): Faker {
    return this.fromDigest(deterministic ? keyedSeed(this.salt, this.label, value) : randomBytes(16));
  }

  /** Faker positioned on a digest the caller already computed (its first 16 bytes seed the stream). */
  fromDigest(digest: Buffer): Faker {
    this.source.reseed(digest);
    return this.faker;
  }
}

const shared = new WeakMap<Buffer, Map<string, SeededFaker>>();

/**
 * One SeededFaker per salt and label, shared by every column that uses them: it is reseeded before each
 * value and used synchronously, so sharing it changes no output, and building a transformer again (for
 * options read from the row) costs no new Faker.
 */
export function sharedSeededFaker(salt: Buffer, label: string): SeededFaker {
  let byLabel = shared.get(salt);
  if (!byLabel) {
    byLabel = new Map();
    shared.set(salt, byLabel);
  }
  let seeded = byLabel.get(label);
  if (!seeded) {
    seeded = new SeededFaker(salt, label);
    byLabel.set(label, seeded);
  }
  return seeded;
}

/**
 * A Faker on the English definitions (en + base) with our randomizer. faker's index loads every locale
 * (70 MB, 0.2–1.4 s); its `locale/en` entry loads only English (8 MB) but exports a ready instance, not the
 * class: its constructor and merged definitions make ours. Loaded on first use, so that commands which
 * transform nothing (`dump list`, `dump restore`, `--version`) never pay for it.
 */
export function englishFaker(randomizer?: Randomizer): Faker {
  const { faker } = createRequire(import.meta.url)('@faker-js/faker/locale/en') as typeof import('@faker-js/faker/locale/en');
  const FakerClass = faker.constructor as typeof Faker;
  return new FakerClass({ locale: faker.rawDefinitions, ...(randomizer && { randomizer }) });
}
