import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { isEmptyText, refuseUnlessText } from '../column-types.js';
import { keyedDigest } from '../salt.js';
import { defineTransformer } from '../transformer.js';

/**
 * HMAC-SHA256 of the value, in hex, keyed by a key derived from the salt (never the salt itself).
 * Without the salt it cannot be reversed by a dictionary, unlike a plain hash of an email.
 */
export const hash = defineTransformer({
  name: 'hash',
  description: 'Keyed HMAC-SHA256 of the value, as hex (`length` characters, default 64, at least 16). Empty stays empty.',
  options: z.strictObject({ length: z.number().int().min(16).max(64).default(64) }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'text, varchar(n ≥ 16), char(n ≥ 16), citext',
  refuses: (column) => refuseUnlessText(column) ?? (column.maxLength !== undefined && column.maxLength < 16 ? `${column.maxLength} characters cannot hold 16 hex digits` : undefined),
  examples: [{ input: 'jane.doe@acme.com' }, { input: 'jane.doe@acme.com', options: { length: 16 } }],
  create: (options, { column, salt }) => {
    const key = keyedDigest(salt, 'hash transformer key');
    const length = Math.min(options.length, column.maxLength ?? 64);
    return (value) => (value === null || isEmptyText(value, column) ? value : createHmac('sha256', key).update(value).digest('hex').slice(0, length));
  },
});
