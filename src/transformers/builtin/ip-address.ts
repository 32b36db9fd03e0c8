import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { ReplibyteError } from '../../errors.js';
import { asciiRoom, isEmptyText } from '../column-types.js';
import { keyedDigest } from '../salt.js';
import { defineTransformer, type ColumnInfo } from '../transformer.js';

/**
 * An address of the same family (IPv4 stays IPv4, IPv6 stays IPv6), keeping a CIDR prefix length when
 * the value has one; with `subnet` (Greenmask's RandomIP), an address inside that network whatever the
 * input's family, its host bits from the keyed digest. The 2^32 IPv4 space is too small for a keyed map
 * to stay collision-free, so a unique column is refused.
 */
export const ipAddress = defineTransformer({
  name: 'ip-address',
  description:
    'An IP address of the same family (v4 or v6), or, with `subnet` (`10.0.0.0/8`, `2001:db8::/32`), one inside that network; a /prefix of the input is kept. Empty stays empty.',
  options: z.strictObject({ deterministic: z.boolean().default(true), subnet: z.string().optional() }),
  deterministic: true,
  accepts: 'inet, text, varchar(n ≥ 15 for v4, 39 for v6)',
  refuses: (column) =>
    ['inet', 'text', 'citext'].includes(column.baseType) || (['varchar', 'bpchar'].includes(column.baseType) && (column.maxLength ?? 45) >= 15)
      ? undefined
      : `it writes IP addresses, and ${column.name} is ${column.type}`,
  examples: [
    { input: '192.168.10.24', column: { type: 'inet', baseType: 'inet' } },
    { input: '2001:db8::1/64', column: { type: 'inet', baseType: 'inet' } },
    { input: '203.0.113.9', options: { subnet: '10.20.0.0/16' }, column: { type: 'inet', baseType: 'inet' } },
  ],
  create: (options, { salt, column }) => {
    const network = options.subnet === undefined ? undefined : parseSubnet(options.subnet, column);
    return (value) => {
      // A blank-padded empty char(n) is empty too (docs/transformers.md, Empty text).
      if (value === null || isEmptyText(value, column)) return value;
      const [address = '', prefix] = value.split('/');
      const bytes = options.deterministic ? keyedDigest(salt, 'ip-address', address) : randomBytes(32);
      let out: string;
      if (network) {
        out = inSubnet(network, bytes);
      } else if (address.includes(':')) {
        const groups: string[] = [];
        for (let i = 0; i < 8; i += 1) groups.push(bytes.readUInt16BE(i * 2).toString(16));
        out = fitIpv6(groups, column.maxLength === undefined ? undefined : column.maxLength - (prefix === undefined ? 0 : prefix.length + 1));
      } else {
        // 1..223 first octet: no 0.x, no multicast or reserved classes.
        out = [1 + (bytes[0]! % 223), bytes[1], bytes[2], bytes[3]].join('.');
      }
      // A subnet may change the family: a prefix too long for the output's (v6's /64 on an IPv4) is left off.
      const keepsPrefix = prefix !== undefined && (!network || Number(prefix) <= (network.v6 ? 128 : 32));
      return keepsPrefix ? `${out}/${prefix}` : out;
    };
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

interface Subnet {
  v6: boolean;
  /** The network's address, as a number of 32 or 128 bits. */
  base: bigint;
  /** Host bits: 32 or 128 minus the prefix length. */
  hostBits: number;
}

/** `10.0.0.0/8` → its network; refused (config check) when it is no subnet, or an IPv6 one the column cannot hold whole. */
function parseSubnet(text: string, column: ColumnInfo): Subnet {
  const match = /^\s*([^/\s]+)\/(\d{1,3})\s*$/.exec(text);
  const address = match?.[1] ?? '';
  const v6 = isIPv6(address);
  const width = v6 ? 128 : 32;
  const length = Number(match?.[2]);
  if (!match || !(v6 || isIPv4(address)) || length > width) throw new ReplibyteError(`subnet "${text}" is not a network (\`10.0.0.0/8\`, \`2001:db8::/32\`)`);
  const room = asciiRoom(column);
  if (v6 && room !== undefined && room < 39) throw new ReplibyteError(`an IPv6 subnet writes up to 39 characters, more than ${column.type} holds`);
  const hostBits = width - length;
  const base = (v6 ? ipv6ToBigInt(address) : ipv4ToBigInt(address)) & ~((1n << BigInt(hostBits)) - 1n);
  return { v6, base, hostBits };
}

/**
 * The network's bits and host bits from the digest. An IPv4 network of four addresses or more never gets
 * its network (all zeros) or broadcast (all ones) address.
 */
function inSubnet(subnet: Subnet, bytes: Buffer): string {
  const random = (bytes.readBigUInt64BE(0) << 64n) | bytes.readBigUInt64BE(8);
  const size = 1n << BigInt(subnet.hostBits);
  let host = random % size;
  if (!subnet.v6 && subnet.hostBits >= 2) host = 1n + (random % (size - 2n));
  const address = subnet.base | host;
  if (!subnet.v6) return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((address >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
}

/** `2001:db8::1` (or with an IPv4 tail, `::ffff:1.2.3.4`) → 128 bits. */
function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = ipv4ToBigInt(tail[1]!);
    text = `${text.slice(0, tail.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n);
}
