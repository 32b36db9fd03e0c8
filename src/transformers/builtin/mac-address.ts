import { z } from 'zod';
import { isEmptyText, isTextColumn } from '../column-types.js';
import { keyedSeed } from '../salt.js';
import { defineTransformer } from '../transformer.js';

/**
 * A MAC address (Greenmask's RandomMac): six bytes from the keyed digest of the value, marked locally
 * administered and unicast (the first byte's two low bits `10`), so it never names a real vendor's card.
 */
export const macAddress = defineTransformer({
  name: 'mac-address',
  description: 'A locally administered, unicast MAC address (`02:…`-style, never a real vendor\'s), the same for the same input. Empty stays empty.',
  options: z.strictObject({}),
  deterministic: true,
  accepts: 'macaddr, text, varchar(n ≥ 17), char(17)',
  refuses: (column) => {
    if (column.baseType === 'macaddr') return undefined;
    if (!isTextColumn(column)) return `it writes MAC addresses, and ${column.name} is ${column.type}`;
    return column.maxLength !== undefined && column.maxLength < 17 ? `${column.maxLength} characters cannot hold a MAC address (17)` : undefined;
  },
  examples: [{ input: '3c:22:fb:12:34:56', column: { type: 'macaddr', baseType: 'macaddr' } }],
  create: (_options, { column, salt }) => (value) => {
    if (value === null || isEmptyText(value, column)) return value;
    const bytes = keyedSeed(salt, 'mac-address', value.toLowerCase()).subarray(0, 6);
    bytes[0] = (bytes[0]! & 0xfc) | 0x02;
    return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
  },
});
