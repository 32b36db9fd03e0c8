import type { Faker } from '@faker-js/faker';
import type { z } from 'zod';
import { ReplibyteError } from '../errors.js';
import { fitsWhole, isEmptyText, refuseUnlessText } from './column-types.js';
import type { FakeTextOptions } from './fake-text.js';
import { RandomSource } from './random-source.js';
import { englishFaker } from './seeded-faker.js';
import type { ColumnInfo, TransformerDefinition, TransformerExample } from './transformer.js';

/**
 * A transformer that writes one of a closed list of real codes or names (time zones, currency codes,
 * country codes, states), picked by the keyed digest of the value: the same input gives the same pick in
 * every table. A code cut to a shorter column would be no code at all, so a pick that does not fit the
 * column's length is drawn again from the same stream (the same value still gets the same output in
 * every column it fits), and a column shorter than the shortest entry is refused. A list of a few hundred
 * entries cannot keep a unique column unique: such columns are refused.
 */
export interface ListPickSpec<Options extends FakeTextOptions> {
  name: string;
  description: string;
  options: z.ZodType<Options>;
  examples: TransformerExample[];
  /** What the entries are, for refusals ("a currency code"). */
  what: string;
  /** The entries for these options, from faker's English definitions. */
  values(faker: Faker, options: Options): readonly string[];
  /**
   * Options that change the entries (`{ format: 'symbol' }`): a column is refused before its options are
   * known only when no variant fits it; its own options are checked when it is built.
   */
  variants?: Array<Record<string, unknown>>;
}

/** Draws before a too-long pick gives way to a pick among the entries that fit. */
const REDRAWS = 8;

export function listPickTransformer<Options extends FakeTextOptions>(spec: ListPickSpec<Options>): TransformerDefinition<Options> {
  const entriesFor = (options: Options) => {
    const values = spec.values(definitionsFaker(), options);
    if (values.length === 0) throw new ReplibyteError(`${spec.name}: no ${spec.what} to pick from`);
    return values;
  };
  const tooShort = (column: ColumnInfo, values: readonly string[]) => {
    if (values.some((value) => fitsWhole(value, column))) return undefined;
    const shortest = Math.min(...values.map((value) => [...value].length));
    const limit = column.maxBytes !== undefined && (column.maxLength ?? Infinity) >= column.maxBytes ? `${column.maxBytes} bytes` : `${column.maxLength} characters`;
    return `${limit} cannot hold ${spec.what} (the shortest takes ${shortest})`;
  };
  return {
    name: spec.name,
    description: spec.description,
    options: spec.options,
    deterministic: true,
    unique: 'maps-all',
    accepts: 'text, varchar(n), char(n), citext',
    refuses: (column) => refuseUnlessText(column) ?? tooShort(column, (spec.variants ?? [{}]).flatMap((variant) => entriesFor(spec.options.parse(variant)))),
    examples: spec.examples,
    create: (options, { column, salt }) => {
      const values = entriesFor(options);
      const refusal = tooShort(column, values);
      if (refusal) throw new ReplibyteError(refusal);
      const fits = (value: string) => fitsWhole(value, column);
      const fitting = values.filter(fits);
      const fresh = RandomSource.fresh();
      return (value) => {
        if (value === null || isEmptyText(value, column)) return value;
        const random = options.deterministic ? RandomSource.seeded(salt, spec.name, value) : fresh;
        for (let draw = 0; draw < REDRAWS; draw += 1) {
          const pick = values[random.intBelow(values.length)]!;
          if (fits(pick)) return pick;
        }
        return fitting[random.intBelow(fitting.length)]!;
      };
    },
  };
}

let definitions: Faker | undefined;

/** One English Faker for its word lists only (its randomness is never used here). */
function definitionsFaker(): Faker {
  definitions ??= englishFaker();
  return definitions;
}
