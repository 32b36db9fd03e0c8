import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { keyedDigest } from '../salt.js';
import { defineTransformer } from '../transformer.js';

/**
 * An address of the same family (IPv4 stays IPv4, IPv6 stays IPv6), keeping a CIDR prefix length when
 * the value has one. The 2^32 IPv4 space is too small for a keyed map to stay collision-free, so a unique
 * column is refused.
 */
export const ipAddress = defineTransformer({
  name: 'ip-address',
  description: 'An IP address of the same family (v4 or v6); a /prefix is kept. Empty stays empty.',
  options: z.strictObject({ deterministic: z.boolean().default(true) }),
  deterministic: true,
  accepts: 'inet, text, varchar(n ≥ 15 for v4, 39 for v6)',
  refuses: (column) =>
    ['inet', 'text', 'citext'].includes(column.baseType) || (['varchar', 'bpchar'].includes(column.baseType) && (column.maxLength ?? 45) >= 15)
      ? undefined
      : `it writes IP addresses, and ${column.name} is ${column.type}`,
  examples: [{ input: '192.168.10.24', column: { type: 'inet', baseType: 'inet' } }, { input: '2001:db8::1/64', column: { type: 'inet', baseType: 'inet' } }],
  create: (options, { salt, column }) => (value) => {
    if (value === null || value === '') return value;
    const [address = '', prefix] = value.split('/');
    const bytes = options.deterministic ? keyedDigest(salt, 'ip-address', address) : randomBytes(32);
    const v6 = address.includes(':');
    let out: string;
    if (v6) {
      const groups: string[] = [];
      for (let i = 0; i < 8; i += 1) groups.push(bytes.readUInt16BE(i * 2).toString(16));
      out = fitIpv6(groups, column.maxLength === undefined ? undefined : column.maxLength - (prefix === undefined ? 0 : prefix.length + 1));
    } else {
      // 1..223 first octet: no 0.x, no multicast or reserved classes.
      out = [1 + (bytes[0]! % 223), bytes[1], bytes[2], bytes[3]].join('.');
    }
    return prefix === undefined ? out : `${out}/${prefix}`;
  },
});


/**
 * Eight groups, or, when they do not fit a varchar(n) (an IPv6 address may take 39 characters, and a
 * varchar(15) holds `::1`), the first groups that fit with `::` (zeros) before the last one: still an
 * IPv6 address, derived from the same digest.
 */
function fitIpv6(groups: string[], room: number | undefined): string {
  const full = groups.join(':');
  if (room === undefined || full.length <= room) return full;
  for (let kept = 6; kept > 0; kept -= 1) {
    const short = `${groups.slice(0, kept).join(':')}::${groups[7]}`;
    if (short.length <= room) return short;
  }
  return `::${groups[7]}`;
}
