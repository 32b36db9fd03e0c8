import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { choice } from './choice.js';

const salt = Buffer.from('choice test salt');
const column = (extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ schema: 'public', table: 't', name: 'plan', type: 'text', baseType: 'text', ...extra });
const row = { get: () => null };
const build = (options: Record<string, unknown>, info = column()) => choice.create(choice.options.parse(options), { column: info, salt });

describe('choice', () => {
  it('picks by weight, the same pick for the same input', () => {
    const pick = build({ values: [{ value: 'basic', weight: 9 }, { value: 'premium', weight: 1 }] });
    const picks = Array.from({ length: 4000 }, (_, i) => pick(`customer-${i}`, row));
    const premium = picks.filter((p) => p === 'premium').length;
    expect(premium).toBeGreaterThan(250);
    expect(premium).toBeLessThan(550);
    expect(pick('customer-7', row)).toBe(picks[7]);
  });

  it('reads a file of values, one a line, with an optional tab and weight; names a bad line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'choice-'));
    try {
      await writeFile(join(dir, 'cities.txt'), 'Lyon\t3\nNantes\r\n\nLille\n');
      const pick = build({ file: join(dir, 'cities.txt') });
      const picks = new Set(Array.from({ length: 300 }, (_, i) => pick(String(i), row)));
      expect([...picks].sort()).toEqual(['Lille', 'Lyon', 'Nantes']);
      await writeFile(join(dir, 'bad.txt'), 'Lyon\tmany\n');
      expect(() => build({ file: join(dir, 'bad.txt') })).toThrow(/bad\.txt:1: the weight after the tab must be a positive number/);
      expect(() => build({ file: join(dir, 'missing.txt') })).toThrow(/cannot read the values file .*missing\.txt: ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks every value against the column, as constant does', () => {
    expect(() => build({ values: ['basic', 'premium'] }, column({ type: 'character varying(5)', baseType: 'varchar', maxLength: 5 }))).toThrow(/"premium" is longer than character varying\(5\)/);
    expect(() => build({ values: [1, 300] }, column({ type: 'tinyint', baseType: 'int1' }))).toThrow(/"300" is not a valid tinyint/);
    expect(() => build({ values: ['ok', 'meh'] }, column({ type: 'mood', baseType: 'mood', enumValues: ['ok', 'sad'] }))).toThrow(/"meh" is not a member of the enum/);
    expect(choice.options.safeParse({ values: ['a'], file: 'x' }).success).toBe(false);
    expect(choice.options.safeParse({}).success).toBe(false);
  });
});
