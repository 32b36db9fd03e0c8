import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { generalize } from './generalize.js';
import { randomNumber } from './random-number.js';

const salt = Buffer.from('generalize test salt');
const column = (type: string, baseType: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ schema: 'public', table: 't', name: 'v', type, baseType, ...extra });
const row = { get: () => null };

describe('generalize', () => {
  const run = (options: Record<string, unknown>, info: ColumnInfo, value: string | null) => generalize.create(generalize.options.parse(options), { column: info, salt })(value, row);

  it('takes numbers to their bucket, negatives one bucket down, within the integer type', () => {
    const int2 = column('smallint', 'int2');
    expect(run({ step: 10 }, int2, '37')).toBe('30');
    expect(run({ step: 10 }, int2, '-5')).toBe('-10');
    expect(run({ step: 10 }, int2, '-32768')).toBe('-32768');
    expect(run({ step: 10 }, int2, null)).toBeNull();
    expect(run({ step: 0.25 }, column('numeric(6,2)', 'numeric'), '12.34')).toBe('12.25');
    expect(run({ step: 10, output: 'range' }, column('text', 'text'), '37')).toBe('[30, 40)');
  });

  it('takes dates and timestamps to the start of their unit, keeping their shape', () => {
    expect(run({ unit: 'year' }, column('date', 'date'), '1984-07-19')).toBe('1984-01-01');
    expect(run({ unit: 'decade' }, column('date', 'date'), '0047-07-19')).toBe('0040-01-01');
    expect(run({ unit: 'quarter' }, column('date', 'date'), '2024-08-31')).toBe('2024-07-01');
    expect(run({ unit: 'week' }, column('date', 'date'), '2024-06-13')).toBe('2024-06-10');
    expect(run({ unit: 'hour' }, column('timestamptz', 'timestamptz'), '2024-06-13 17:45:12.5+02')).toBe('2024-06-13 17:00:00+02');
    expect(run({ unit: 'month', output: 'range' }, column('text', 'text'), '2024-12-13')).toBe('[2024-12-01, 2025-01-01)');
  });

  it('writes an empty text for text that is neither a number nor a date, and refuses other types', () => {
    expect(run({}, column('text', 'text'), 'jane')).toBe('');
    expect(generalize.refuses?.(column('uuid', 'uuid'))).toMatch(/it writes numbers or dates/);
  });
});

describe('random-number', () => {
  it('refuses bounds the integer type cannot hold and decimals on an integer', () => {
    const create = (options: Record<string, unknown>, info: ColumnInfo) => randomNumber.create(randomNumber.options.parse(options), { column: info, salt });
    expect(() => create({ min: 0, max: 1000 }, column('tinyint', 'int1'))).toThrow(/goes beyond tinyint \(-128\.\.127\)/);
    expect(() => create({ min: 0, max: 10, decimals: 1 }, column('integer', 'int4'))).toThrow(/holds no decimals/);
    expect(randomNumber.options.safeParse({ min: 5, max: 1 }).success).toBe(false);
    const fixed = create({ min: 3, max: 3 }, column('integer', 'int4'));
    expect(fixed('99', row)).toBe('3');
  });
});
