import { describe, expect, it } from 'vitest';
import { builtinTransformers } from './builtin/index.js';
import { guardOutput } from './column-guard.js';
import { fitNumber, formatUnits, numberCheck, numberProblem, numberRangeOf, unitsOf } from './number-range.js';
import type { ColumnInfo } from './transformer.js';

const column = (extra: Partial<ColumnInfo>): ColumnInfo => ({ schema: 'public', table: 't', name: 'c', type: 'numeric(6,2)', baseType: 'numeric', ...extra });
const row = { get: (name: string) => (name === 'id' ? '7' : null) };
const registry = builtinTransformers();
const build = (name: string, options: Record<string, unknown>, on: Partial<ColumnInfo>) => {
  const definition = registry.get(name)!;
  return definition.create(definition.options.parse(options), { column: column(on), salt: Buffer.from('number-range') });
};

describe('number ranges', () => {
  it('counts a value in units of the scale, rounded half away from zero as both engines round', () => {
    expect(unitsOf('9999.994', 2)).toBe(999999n);
    expect(unitsOf('9999.995', 2)).toBe(1000000n);
    expect(unitsOf('-0.005', 2)).toBe(-1n);
    expect(unitsOf('0.004', 2)).toBe(0n);
    expect(unitsOf('1.5e3', 0)).toBe(1500n);
    expect(unitsOf('1e999999', 2)).toBe(10n ** 80n);
    expect(unitsOf('12345', -3)).toBe(12n);
    expect(unitsOf('abc', 2)).toBeUndefined();
    expect(unitsOf('.', 2)).toBeUndefined();
    expect(formatUnits(-999999n, 2)).toBe('-9999.99');
    expect(formatUnits(5n, 3)).toBe('0.005');
    expect(formatUnits(99n, -3)).toBe('99000');
  });

  it('knows numeric(p,s) through the catalog or the type, MySQL UNSIGNED, and every integer type', () => {
    expect(numberRangeOf(column({ type: 'price', decimal: { precision: 4, scale: 1 } }))).toEqual({ scale: 1, min: -9999n, max: 9999n, integer: false });
    expect(numberRangeOf(column({ type: 'decimal(6,2) unsigned' }))).toMatchObject({ min: 0n, max: 999999n });
    expect(numberRangeOf(column({ type: 'numeric' }))).toBeUndefined();
    expect(numberRangeOf(column({ type: 'smallint', baseType: 'int2' }))).toEqual({ scale: 0, min: -32768n, max: 32767n, integer: true });
  });

  it('clamps what is out of range, leaves the rest as it is, and says why a value does not fit', () => {
    const range = numberRangeOf(column({}))!;
    expect(fitNumber('10000.00', range)).toBe('9999.99');
    expect(fitNumber('9999.995', range)).toBe('9999.99');
    expect(fitNumber('-123456', range)).toBe('-9999.99');
    expect(fitNumber('12.345', range)).toBe('12.345');
    expect(numberProblem('12.345', range, 'numeric(6,2)')).toBeUndefined();
    expect(numberProblem('NaN', range, 'numeric(6,2)')).toBeUndefined();
    expect(numberProblem('10000', range, 'numeric(6,2)')).toBe('10000, outside numeric(6,2) (-9999.99 .. 9999.99)');
    const small = numberRangeOf(column({ type: 'smallint', baseType: 'int2' }))!;
    expect(numberProblem('12.5', small, 'smallint')).toBe('"12.5", which is not an integer');
    expect(numberProblem(' 42 ', small, 'smallint')).toBeUndefined();
  });
});

describe('the row guard on numbers', () => {
  it('fails a value out of an integer type, or not an integer, at its row, naming table, column and key', () => {
    const smallint = column({ type: 'smallint', baseType: 'int2' });
    expect(() => guardOutput(() => '40000', 'custom', smallint, ['id'])('1', row)).toThrow('public.t.c: custom wrote 40000, outside smallint (-32768 .. 32767), for the row id = 7: the restore would refuse it');
    expect(() => guardOutput(() => '1.5', 'custom', smallint, ['id'])('1', row)).toThrow(/custom wrote "1\.5", which is not an integer, for the row id = 7/);
    expect(() => guardOutput(() => '-1', 'custom', column({ type: 'int unsigned', baseType: 'uint4' }), ['id'])('1', row)).toThrow(/outside int unsigned \(0 \.\. 4294967295\)/);
    expect(guardOutput(() => '-32768', 'custom', smallint, ['id'])('1', row)).toBe('-32768');
  });

  it('fails a value past a numeric(p,s)\'s precision, once rounded to its scale', () => {
    const guard = guardOutput((value) => value, 'custom', column({}), ['id']);
    expect(guard('9999.994', row)).toBe('9999.994');
    expect(() => guard('9999.995', row)).toThrow(/custom wrote 9999\.995, outside numeric\(6,2\) \(-9999\.99 \.\. 9999\.99\), for the row id = 7/);
  });

  it('gives a transformer\'s own refusal of a row the row\'s key', async () => {
    const { ReplibyteError } = await import('../errors.js');
    const guard = guardOutput(() => {
      throw new ReplibyteError('min..max (0..40000) goes beyond smallint (-32768..32767)');
    }, 'random-number', column({ type: 'smallint', baseType: 'int2' }), ['id']);
    expect(() => guard('1', row)).toThrow('public.t.c: min..max (0..40000) goes beyond smallint (-32768..32767), for the row id = 7');
  });
});

describe('built-in transformers keep numbers in their column', () => {
  it('number-noise clamps into a numeric(p,s) known from the catalog (a domain), keeps MySQL UNSIGNED non-negative, and floats finite', () => {
    const domain = build('number-noise', { ratio: 3 }, { type: 'price', decimal: { precision: 6, scale: 2 } });
    const unsigned = build('number-noise', { ratio: 3 }, { type: 'decimal(6,2) unsigned' });
    for (const value of ['9999.99', '-9999.99', '9000.00', '0.01', '5000.50']) {
      const out = domain(value, row)!;
      expect(Math.abs(Number(out)), `${value} → ${out}`).toBeLessThanOrEqual(9999.99);
      expect(Number(unsigned(value.replace('-', ''), row)), value).toBeGreaterThanOrEqual(0);
    }
    const single = build('number-noise', { ratio: 0.5 }, { type: 'float', baseType: 'float4' });
    for (let i = 1; i <= 50; i += 1) expect(Number.isFinite(Number(single(`3.${i}e38`, row))), `3.${i}e38`).toBe(true);
  });

  it('random on numeric(2,2) never writes a value that rounds to 1.00', () => {
    const random = build('random', {}, { type: 'numeric(2,2)' });
    const outs = Array.from({ length: 2000 }, (_, i) => random(String(i), row)!);
    expect(outs.some((out) => Number(out) >= 0.985)).toBe(true);
    for (const out of outs) expect(unitsOf(out, 2)! <= 99n, out).toBe(true);
  });

  it('generalize keeps a bucket\'s lower bound within numeric(p,s)', () => {
    const generalize = build('generalize', { step: 10 }, { type: 'numeric(4,2)' });
    expect(generalize('-99.99', row)).toBe('-99.99');
    expect(generalize('-45.5', row)).toBe('-50');
    const whole = build('generalize', { step: 1000 }, { type: 'numeric(5,0)' });
    expect(whole('-99999', row)).toBe('-99999');
  });

  it('random-number refuses bounds beyond numeric(p,s), as the column rounds them', () => {
    expect(() => build('random-number', { min: 0, max: 5000 }, { type: 'numeric(4,1)' })).toThrow('min..max (0..5000) goes beyond numeric(4,1) (-999.9..999.9)');
    expect(() => build('random-number', { min: 99.9, max: 99.95, decimals: 2 }, { type: 'numeric(3,1)' })).toThrow(/goes beyond numeric\(3,1\)/);
    expect(() => build('random-number', { min: 0, max: 5 }, { type: 'decimal(4,1) unsigned' })).not.toThrow();
    expect(() => build('random-number', { min: -1, max: 5 }, { type: 'decimal(4,1) unsigned' })).toThrow(/goes beyond decimal\(4,1\) unsigned \(0\.0\.\.999\.9\)/);
  });

  it('constant refuses a value past numeric(p,s) without a server to ask (a script source)', () => {
    expect(() => build('constant', { value: '12345.67' }, {})).toThrow('value 12345.67, outside numeric(6,2) (-9999.99 .. 9999.99)');
    expect(build('constant', { value: '9999.99' }, {})('1', row)).toBe('9999.99');
  });
});

describe('numberCheck (the guard\'s fast path) agrees with numberProblem', () => {
  it('on integers and numerics, in range, at the bounds, past them, and on text that is no number', () => {
    const cases: Array<[Partial<ColumnInfo>, string[]]> = [
      [{ type: 'smallint', baseType: 'int2' }, ['0', '-32768', '32767', '32768', '-32769', '9999', '12.5', '', '-', '+5', ' 7', '007', '1e3', '99999999999999999999']],
      [{ type: 'bigint unsigned', baseType: 'uint8' }, ['0', '-1', '18446744073709551615', '18446744073709551616', '123456789012345']],
      [{}, ['0', '999.99', '-999.999', '9999.99', '9999.995', '-9999.994', '10000', '', '.', '-', '.5', '5.', '00012.5', '1e3', 'NaN', 'abc']],
      [{ type: 'decimal(4,1) unsigned' }, ['0', '-0.0', '-1', '999.9', '999.95', '12']],
      [{ type: 'numeric(2,-3)' }, ['99000', '99499', '99500', '-1234', '1234.5']],
      [{ type: 'numeric(2,4)' }, ['0.0099', '0.01', '0', '-0.00994']],
    ];
    for (const [on, values] of cases) {
      const info = column(on);
      const range = numberRangeOf(info)!;
      const check = numberCheck(range, info.type);
      for (const value of values) expect(check(value), `${info.type} ${JSON.stringify(value)}`).toBe(numberProblem(value, range, info.type));
    }
  });
});
