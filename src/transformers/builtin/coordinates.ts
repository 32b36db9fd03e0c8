import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { asciiRoom, isEmptyText, isTextColumn } from '../column-types.js';
import { RandomSource } from '../random-source.js';
import { defineTransformer, type ColumnInfo, type TransformerDefinition } from '../transformer.js';

/**
 * Latitude and longitude (Greenmask's RandomLatitude/RandomLongitude, PostgreSQL Anonymizer's
 * dummy_latitude/dummy_longitude): a number of degrees drawn between `min` and `max` from the keyed digest
 * of the value, so the same coordinate gets the same fake in every table. The output fits the column:
 * numeric(p,s) gets at most s decimals and is refused when its p - s integer digits cannot hold the
 * range; a varchar(n) gets as many decimals as fit.
 */

interface Axis {
  name: 'latitude' | 'longitude';
  /** 90 or 180. */
  limit: number;
  example: string;
}

const FLOAT_TYPES = new Set(['float4', 'float8']);
const MAX_DECIMALS = 12;

function coordinateTransformer(axis: Axis): TransformerDefinition<CoordinateOptions> {
  const bound = z.number().min(-axis.limit).max(axis.limit);
  return defineTransformer({
    name: axis.name,
    description: `A ${axis.name} in degrees, between \`min\` and \`max\` (default -${axis.limit} to ${axis.limit}), with \`decimals\` digits after the point (default 6; at most a numeric(p,s)'s s, and what fits a varchar(n)), the same for the same input. Empty text stays empty. On MongoDB, string fields only.`,
    options: z
      .strictObject({ min: bound.default(-axis.limit), max: bound.default(axis.limit), decimals: z.number().int().min(0).max(MAX_DECIMALS).default(6), deterministic: z.boolean().default(true) })
      .refine((o) => o.min <= o.max, '`min` is above `max`'),
    deterministic: true,
    accepts: `numeric(p,s) with p - s ≥ ${String(axis.limit).length} (MySQL decimal), real, double precision, text, varchar(n ≥ ${signedDigits(axis.limit)})`,
    refuses: (column) => {
      if (column.baseType === 'numeric' || FLOAT_TYPES.has(column.baseType)) return undefined;
      if (!isTextColumn(column)) return `it writes ${axis.name}s in degrees, and ${column.name} is ${column.type}`;
      const room = asciiRoom(column);
      return room !== undefined && room < signedDigits(axis.limit) ? `${room} characters cannot hold a ${axis.name} (-${axis.limit})` : undefined;
    },
    examples: [
      { input: axis.example, column: { type: 'numeric(9,6)', baseType: 'numeric' } },
      { input: axis.example, options: { min: axis.limit === 90 ? 43 : -5, max: axis.limit === 90 ? 51 : 8, decimals: 2 }, column: { type: 'double precision', baseType: 'float8' } },
    ],
    create: (options, { column, salt }) => {
      const decimals = fittedDecimals(options, column, axis);
      const scale = 10 ** decimals;
      const low = Math.ceil(options.min * scale);
      const count = Math.floor(options.max * scale) - low + 1;
      if (count < 1) throw new ReplibyteError(`no ${axis.name} with ${decimals} decimals lies between ${options.min} and ${options.max}`);
      const fresh = RandomSource.fresh();
      return (value) => {
        if (value === null || isEmptyText(value, column)) return value;
        const random = options.deterministic ? RandomSource.seeded(salt, axis.name, value) : fresh;
        // Two 32-bit draws: a uniform step among up to 360 × 10^12.
        const draw = Math.floor(((random.nextUint32() * 2 ** 32 + random.nextUint32()) / 2 ** 64) * count);
        return ((low + Math.min(draw, count - 1)) / scale).toFixed(decimals);
      };
    },
  });
}

type CoordinateOptions = { min: number; max: number; decimals: number; deterministic: boolean };

/** `-180` is 4 characters: the shortest text that holds every value of the axis without decimals. */
function signedDigits(limit: number): number {
  return String(limit).length + 1;
}

/**
 * The decimals the column takes: at most numeric(p,s)'s scale s (after checking that p - s integer digits hold
 * the range), a varchar(n) as many as fit beside the sign and the integer digits, else the option's.
 */
function fittedDecimals(options: CoordinateOptions, column: ColumnInfo, axis: Axis): number {
  const widest = Math.max(Math.abs(options.min), Math.abs(options.max));
  const integerDigits = String(Math.floor(widest)).length;
  if (column.baseType === 'numeric') {
    const typmod = /(?:numeric|decimal)\((\d+)(?:,\s*(\d+))?\)/i.exec(column.type);
    if (!typmod) return options.decimals;
    const precision = Number(typmod[1]);
    const scale = Number(typmod[2] ?? 0);
    // numeric(p,s) holds |x| < 10^(p - s): 90 needs 2 integer digits, 180 needs 3.
    if (widest >= 10 ** (precision - scale)) {
      throw new ReplibyteError(`${column.type} holds numbers below ${10 ** (precision - scale)}, and ${axis.name}s go to ${widest}: narrow min/max or widen the column`);
    }
    return Math.min(options.decimals, scale);
  }
  const limit = asciiRoom(column);
  if (limit === undefined || FLOAT_TYPES.has(column.baseType)) return options.decimals;
  const sign = options.min < 0 ? 1 : 0;
  const room = limit - sign - integerDigits;
  if (room < 0) throw new ReplibyteError(`${column.type} cannot hold ${axis.name}s from ${options.min} to ${options.max}`);
  // The point itself takes a character: one character left over holds no decimal.
  return Math.min(options.decimals, Math.max(0, room - 1));
}

export const latitude = coordinateTransformer({ name: 'latitude', limit: 90, example: '48.858370' });
export const longitude = coordinateTransformer({ name: 'longitude', limit: 180, example: '2.294481' });
