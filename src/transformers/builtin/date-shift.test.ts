import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { dateShift } from './date-shift.js';

const row = { get: () => null };
/** A MySQL TIMESTAMP as src/engines/mysql/column-types.ts describes it. */
const MYSQL_TIMESTAMP = { schema: 'db', table: 't', name: 'c', type: 'timestamp', baseType: 'timestamp', timeRange: ['1970-01-01 00:00:01', '2038-01-19 03:14:07'] as [string, string] };
const make = (column: Partial<ColumnInfo>) =>
  dateShift.create(dateShift.options.parse({ min_days: 1, max_days: 30 }), {
    column: { schema: 'public', table: 't', name: 'c', type: 'date', baseType: 'date', ...column },
    salt: Buffer.from('salt'),
  });
/** Milliseconds of an ISO day, years 0–99 included. */
const at = (iso: string) => {
  const day = new Date(0);
  day.setUTCFullYear(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  return day.getTime();
};

describe('date-shift', () => {
  it('moves years 0001–0099 by days, not by 1900 years (Date.UTC reads them as 19xx)', () => {
    const date = make({});
    const timestamp = make({ type: 'timestamp without time zone', baseType: 'timestamp' });
    for (const value of ['0001-01-01', '0050-06-15', '0099-12-31']) {
      const out = date(value, row)!;
      expect(Number(out.slice(0, 4))).toBeGreaterThanOrEqual(1);
      expect(Number(out.slice(0, 4))).toBeLessThanOrEqual(100);
      expect(Math.abs(at(out) - at(value)) / 86_400_000).toBeGreaterThanOrEqual(1);
      expect(Math.abs(at(out) - at(value)) / 86_400_000).toBeLessThanOrEqual(30);
    }
    const out = timestamp('0050-06-15 10:20:30', row)!;
    expect(out).toMatch(/^00[45]\d-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(Math.abs(at(out) - at('0050-06-15')) / 86_400_000).toBeLessThanOrEqual(31);
  });

  it('stays within years 0001–9999 at their edges', () => {
    const date = make({});
    for (let day = 1; day <= 28; day += 1) {
      expect(date(`0001-01-${String(day).padStart(2, '0')}`, row)).toMatch(/^0001-/);
      expect(date(`9999-12-${String(day).padStart(2, '0')}`, row)).toMatch(/^9999-/);
    }
  });

  it('leaves MySQL zero dates as they are', () => {
    expect(make({})('0000-00-00', row)).toBe('0000-00-00');
    expect(make({ type: 'datetime', baseType: 'timestamp' })('0000-00-00 00:00:00', row)).toBe('0000-00-00 00:00:00');
  });

  it('keeps a MySQL TIMESTAMP inside 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 (past it the restore fails)', () => {
    const mysqlTimestamp = make(MYSQL_TIMESTAMP);
    for (let i = 0; i < 200; i += 1) {
      for (const value of [`2038-01-${String(1 + (i % 18)).padStart(2, '0')} 03:14:07`, `1970-01-${String(1 + (i % 28)).padStart(2, '0')} 00:00:01`]) {
        const out = mysqlTimestamp(value, row)!;
        expect(out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        expect(out >= '1970-01-01 00:00:01' && out <= '2038-01-19 03:14:07', `${value} → ${out}`).toBe(true);
      }
    }
  });
});
