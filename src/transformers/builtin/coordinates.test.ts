import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { latitude, longitude } from './coordinates.js';

const SALT = Buffer.from('coordinates salt');
const column = (type: string, baseType: string, maxLength?: number): ColumnInfo => ({ schema: 'public', table: 'places', name: 'at', type, baseType, ...(maxLength !== undefined && { maxLength }) });
const row = { get: () => null };

describe('latitude and longitude', () => {
  it('refuse columns that cannot hold degrees: integers, dates, text too short for the sign and the integer digits', () => {
    expect(latitude.refuses!(column('integer', 'int4'))).toMatch(/writes latitudes in degrees/);
    expect(longitude.refuses!(column('date', 'date'))).toMatch(/writes longitudes/);
    expect(latitude.refuses!(column('character varying(2)', 'varchar', 2))).toMatch(/cannot hold a latitude/);
    expect(longitude.refuses!(column('character varying(3)', 'varchar', 3))).toMatch(/cannot hold a longitude/);
    expect(longitude.refuses!(column('numeric(9,6)', 'numeric'))).toBeUndefined();
  });

  it('refuse a numeric(p,s) whose integer digits cannot hold the range, unless min/max are narrowed to fit', () => {
    const narrow = column('numeric(7,5)', 'numeric');
    expect(() => longitude.create(longitude.options.parse({}), { column: narrow, salt: SALT })).toThrow(/numeric\(7,5\) holds numbers below 100, and longitudes go to 180/);
    const apply = longitude.create(longitude.options.parse({ min: -20, max: 40 }), { column: narrow, salt: SALT });
    for (let i = 0; i < 200; i += 1) expect(apply(`v${i}`, row)).toMatch(/^-?\d{1,2}\.\d{5}$/);
  });

  it('write at most the scale of a numeric, and as many decimals as a varchar(n) holds', () => {
    const fourDecimals = latitude.create(latitude.options.parse({}), { column: column('decimal(6,4)', 'numeric'), salt: SALT });
    expect(fourDecimals('48.8583', row)).toMatch(/^-?\d{1,2}\.\d{4}$/);
    const varchar4 = latitude.create(latitude.options.parse({}), { column: column('character varying(4)', 'varchar', 4), salt: SALT });
    for (let i = 0; i < 200; i += 1) expect(varchar4(`v${i}`, row)).toMatch(/^-?\d{1,2}$/);
    const fourBytes = latitude.create(latitude.options.parse({}), { column: { ...column('text', 'text'), maxBytes: 4 }, salt: SALT });
    expect(fourBytes('48.858370', row)).toMatch(/^-?\d{1,2}$/);
    const positive = latitude.create(latitude.options.parse({ min: 0, max: 90 }), { column: column('character varying(5)', 'varchar', 5), salt: SALT });
    for (let i = 0; i < 200; i += 1) expect(positive(`v${i}`, row)).toMatch(/^\d{1,2}\.\d{2}$/);
  });

  it('stay within min..max, and give the same value the same output under the same salt only', () => {
    const options = latitude.options.parse({ min: 45.5, max: 45.75, decimals: 4 });
    const apply = latitude.create(options, { column: column('double precision', 'float8'), salt: SALT });
    const again = latitude.create(options, { column: column('double precision', 'float8'), salt: Buffer.from(SALT) });
    const other = latitude.create(options, { column: column('double precision', 'float8'), salt: Buffer.from('another') });
    const outputs = Array.from({ length: 100 }, (_, i) => apply(`48.85${i}`, row)!);
    for (const out of outputs) expect(Number(out)).toSatisfy((n: number) => n >= 45.5 && n <= 45.75);
    expect(Array.from({ length: 100 }, (_, i) => again(`48.85${i}`, row))).toEqual(outputs);
    expect(Array.from({ length: 100 }, (_, i) => other(`48.85${i}`, row)).filter((out, i) => out !== outputs[i]).length).toBeGreaterThan(90);
  });

  it('reject a range outside the axis', () => {
    expect(latitude.options.safeParse({ max: 91 }).success).toBe(false);
    expect(longitude.options.safeParse({ min: 10, max: 5 }).success).toBe(false);
  });
});
