import { describe, expect, it } from 'vitest';
import { randomDate } from './random-date.js';

const row = { get: () => null };
/** A MySQL TIMESTAMP as src/engines/mysql/column-types.ts describes it. */
const MYSQL_TIMESTAMP = { schema: 'db', table: 't', name: 'c', type: 'timestamp', baseType: 'timestamp', timeRange: ['1970-01-01 00:00:01', '2038-01-19 03:14:07'] as [string, string] };
const make = (options: Record<string, unknown>) =>
  randomDate.create(randomDate.options.parse(options), { column: MYSQL_TIMESTAMP, salt: Buffer.from('salt') });

describe('random-date on a MySQL TIMESTAMP', () => {
  it('writes no offset (MySQL refuses "+00") and stays in 1970-01-01 00:00:01 .. 2038-01-19 03:14:07', () => {
    const apply = make({ from: '1960-01-01', to: '2100-12-31' });
    for (let i = 0; i < 500; i += 1) {
      const out = apply(`value ${i}`, row)!;
      expect(out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(out >= '1970-01-01 00:00:01' && out <= '2038-01-19 03:14:07', out).toBe(true);
    }
  });

  it('refuses a range the type cannot hold at all', () => {
    expect(() => make({ from: '2040-01-01', to: '2050-01-01' })).toThrow(/2040-01-01 \.\. 2050-01-01 holds no value of timestamp/);
  });
});
