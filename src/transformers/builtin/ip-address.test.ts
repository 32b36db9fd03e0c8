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
});
