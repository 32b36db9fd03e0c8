import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { isEmptyText, isTextColumn } from '../column-types.js';
import { keyedDigest } from '../salt.js';
import { defineTransformer, type TransformerContext } from '../transformer.js';
import { constant } from './constant.js';

const weighted = z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]), weight: z.number().positive() });
const item = z.union([z.string(), z.number(), z.boolean(), weighted]);

/**
 * One of a list of values, picked by the keyed digest of the input: the same input gives the same pick
 * (joins hold), and `weight` makes some picks likelier. Each value is checked against the column as
 * `constant` checks its value (length, enum, integer range, boolean), so a pick never fails the restore.
 */
export const choice = defineTransformer({
  name: 'choice',
  description:
    'A value picked from `values` (a list; an item may be `{value, weight}`) or from `file` (one value per line, optionally followed by a tab and a weight; read from the working directory), deterministically from the input: the same input gives the same pick; empty text stays empty. Each value is checked against the column. NULL stays NULL unless `keep_null: false`.',
  options: z
    .strictObject({ values: z.array(item).min(1).optional(), file: z.string().min(1).optional(), keep_null: z.boolean().default(true) })
    .refine((o) => (o.values === undefined) !== (o.file === undefined), 'give either `values` or `file`'),
  deterministic: true,
  accepts: 'text types, integers, numeric, boolean, enums (each value checked as `constant` checks its value)',
  examples: [
    { input: 'FR', options: { values: ['DE', 'ES', 'IT'] } },
    { input: 'gold', options: { values: [{ value: 'basic', weight: 8 }, { value: 'premium', weight: 2 }] } },
  ],
  create: (options, context) => {
    const entries = (options.values ?? readValues(options.file!)).map((entry) => (typeof entry === 'object' ? entry : { value: entry, weight: 1 }));
    const written = entries.map((entry) => writtenForm(String(entry.value), context));
    const cumulative: number[] = [];
    let total = 0;
    for (const entry of entries) cumulative.push((total += entry.weight));
    return (value) => {
      if (value === null && options.keep_null) return null;
      // An empty text hides nothing: it stays empty (docs/transformers.md, Empty text).
      if (value !== null && isEmptyText(value, context.column) && isTextColumn(context.column)) return value;
      // 48 bits of the keyed digest: a uniform point in [0, total).
      const point = (keyedDigest(context.salt, 'choice', value ?? '\u0000NULL').readUIntBE(0, 6) / 2 ** 48) * total;
      let low = 0;
      let high = cumulative.length - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (cumulative[middle]! > point) high = middle;
        else low = middle + 1;
      }
      return written[low]!;
    };
  },
});

/** The value as the column takes it, or a ReplibyteError naming the value (constant's checks). */
function writtenForm(value: string, context: TransformerContext): string {
  const fixed = constant.create({ value, keep_null: false }, context);
  return fixed('', { get: () => null })!;
}

function readValues(path: string): Array<{ value: string; weight: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReplibyteError(`cannot read the values file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const values = text
    .split('\n')
    .map((line, index) => ({ line: line.replace(/\r$/, ''), number: index + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, number }) => {
      const tab = line.lastIndexOf('\t');
      if (tab === -1) return { value: line, weight: 1 };
      const weight = Number(line.slice(tab + 1));
      if (!(weight > 0)) throw new ReplibyteError(`${path}:${number}: the weight after the tab must be a positive number`);
      return { value: line.slice(0, tab), weight };
    });
  if (values.length === 0) throw new ReplibyteError(`the values file ${path} has no values`);
  return values;
}
