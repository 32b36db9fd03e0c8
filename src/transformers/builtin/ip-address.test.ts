import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipAddress } from './ip-address.js';

const row = { get: () => null };

describe('ip-address', () => {
  it('fits an IPv6 address into a varchar(15) (a full one takes up to 39 characters), with its prefix', () => {
    const column = { schema: 'public', table: 't', name: 'ip', type: 'character varying(15)', baseType: 'varchar', maxLength: 15 };
    const apply = ipAddress.create(ipAddress.options.parse({}), { column, salt: Buffer.from('salt') });
    const outputs = new Set<string>();
    for (let i = 0; i < 300; i += 1) {
      for (const value of [`::${i.toString(16)}`, `fe80::${i.toString(16)}/64`]) {
        const out = apply(value, row)!;
        expect([...out].length, out).toBeLessThanOrEqual(15);
        const [address, prefix] = out.split('/');
        expect(isIPv6(address!), out).toBe(true);
        expect(prefix).toBe(value.split('/')[1]);
        outputs.add(out);
      }
    }
    expect(outputs.size).toBeGreaterThan(550);
    // Unbounded columns keep all eight groups.
    const inet = ipAddress.create(ipAddress.options.parse({}), { column: { schema: 'public', table: 't', name: 'ip', type: 'inet', baseType: 'inet' }, salt: Buffer.from('salt') });
    expect(inet('::1', row)!.split(':')).toHaveLength(8);
  });

  it('writes addresses inside `subnet`, never its network or broadcast address, whatever the input\'s family', () => {
    const inet = { schema: 'public', table: 't', name: 'ip', type: 'inet', baseType: 'inet' };
    const v4 = ipAddress.create(ipAddress.options.parse({ subnet: '10.20.0.0/30' }), { column: inet, salt: Buffer.from('salt') });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) seen.add(v4(i % 2 ? `192.0.2.${i}` : `2001:db8::${i.toString(16)}`, row)!);
    expect([...seen].sort()).toEqual(['10.20.0.1', '10.20.0.2']);
    const v6 = ipAddress.create(ipAddress.options.parse({ subnet: '2001:db8:aa::/48' }), { column: inet, salt: Buffer.from('salt') });
    for (let i = 0; i < 200; i += 1) {
      const out = v6(`198.51.100.${i}/24`, row)!;
      expect(out, out).toMatch(/^2001:db8:aa(:[0-9a-f]{1,4}){5}\/24$/);
      expect(isIPv6(out.split('/')[0]!)).toBe(true);
    }
    // A v6 prefix does not fit an IPv4 address: it is left off.
    expect(v4('2001:db8::1/64', row)).toMatch(/^10\.20\.0\.[12]$/);
  });

  it('refuses a subnet that is no network, or an IPv6 one the column cannot hold', () => {
    const varchar = { schema: 'public', table: 't', name: 'ip', type: 'character varying(20)', baseType: 'varchar', maxLength: 20 };
    expect(() => ipAddress.create(ipAddress.options.parse({ subnet: '10.0.0.0' }), { column: varchar, salt: Buffer.from('salt') })).toThrow(/subnet "10.0.0.0" is not a network/);
    expect(() => ipAddress.create(ipAddress.options.parse({ subnet: '10.0.0.0/33' }), { column: varchar, salt: Buffer.from('salt') })).toThrow(/is not a network/);
    expect(() => ipAddress.create(ipAddress.options.parse({ subnet: '2001:db8::/32' }), { column: varchar, salt: Buffer.from('salt') })).toThrow(/IPv6 subnet writes up to 39 characters, more than character varying\(20\)/);
  });
});
