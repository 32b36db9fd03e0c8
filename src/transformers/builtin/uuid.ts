import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isEmptyText } from '../column-types.js';
import { keyedDigest } from '../salt.js';
import { defineTransformer } from '../transformer.js';

/** A version-4-shaped UUID made of 122 bits of the keyed digest: distinct inputs stay distinct. */
export const uuid = defineTransformer({
  name: 'uuid',
  description: 'A UUID (version 4 layout) derived from the value; keeps uuid keys and unique columns distinct. Empty text stays empty.',
  options: z.strictObject({ deterministic: z.boolean().default(true) }),
  deterministic: true,
  // 2: the input is digested as it is (version 1 lower-cased it, so two text values differing in case collided).
  version: 2,
  unique: 'keeps',
  accepts: 'uuid, text, varchar(n ≥ 36)',
  refuses: (column) => {
    if (column.baseType === 'uuid') return undefined;
    // A text column's length may be bounded by a CHECK (maxLength).
    if (['text', 'citext', 'varchar', 'bpchar'].includes(column.baseType) && (column.maxLength === undefined || column.maxLength >= 36)) return undefined;
    return 'it writes a 36-character UUID';
  },
  examples: [{ input: '0b7e5e2c-3f1d-4c6a-9a53-2d0f9b1e8c47', column: { type: 'uuid', baseType: 'uuid' } }],
  create: (options, { column, salt }) => (value) => {
    if (value === null || isEmptyText(value, column)) return value;
    if (!options.deterministic) return randomUUID();
    const bytes = keyedDigest(salt, 'uuid', value).subarray(0, 16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
});
