import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../transformer.js';
import { dict } from './dict.js';

const SALT = Buffer.from('dict salt');
const row = { get: () => null };
const column = (type: string, baseType: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ schema: 'public', table: 't', name: 'c', type, baseType, ...extra });
const build = (options: Record<string, unknown>, on: ColumnInfo) => dict.create(dict.options.parse(options), { column: on, salt: SALT });

describe('dict', () => {
  it('needs a word for the values it does not list: a default, or keep_others', () => {
    expect(dict.options.safeParse({ values: { a: 'b' } }).success).toBe(false);
    expect(dict.options.safeParse({ values: { a: 'b' }, default: 'x', keep_others: true }).success).toBe(false);
    expect(dict.options.safeParse({ values: {}, default: 'x' }).success).toBe(false);
    expect(dict.options.safeParse({ values: { a: 'b' }, default: null }).success).toBe(true);
  });

  it('checks every value it may write against the column before a row is read', () => {
    expect(() => build({ values: { a: 'far too long' }, keep_others: true }, column('character varying(5)', 'varchar', { maxLength: 5 }))).toThrow(/longer than character varying\(5\)/);
    expect(() => build({ values: { 1: 70000 }, default: 0 }, column('smallint', 'int2'))).toThrow(/not a valid smallint/);
    expect(() => build({ values: { happy: 'glad' }, keep_others: true }, column('mood', 'mood', { enumValues: ['happy', 'sad'] }))).toThrow(/not a member of the enum/);
    expect(() => build({ values: { a: null }, keep_others: true }, column('text', 'text', { notNull: true }))).toThrow(/NOT NULL/);
  });

  it('matches numbers by value, citext without case, char(n) without padding', () => {
    expect(build({ values: { '10': 1, '2.5': 3 }, keep_others: true }, column('numeric(6,2)', 'numeric'))('10.00', row)).toBe('1');
    expect(build({ values: { '10': 1, '2.5': 3 }, keep_others: true }, column('numeric(6,2)', 'numeric'))('2.50', row)).toBe('3');
    // The plan hands citext values lower-cased (column-family.ts): the keys are folded the same way.
    expect(build({ values: { VIP: 'standard' }, default: 'other' }, column('citext', 'citext'))('vip', row)).toBe('standard');
    expect(build({ values: { ab: 'cd' }, default: 'zz' }, column('character(4)', 'bpchar', { maxLength: 4 }))('ab', row)).toBe('cd');
  });

  it('on MySQL, a BOOLEAN (tinyint(1)) takes true/false as 1/0', () => {
    const apply = build({ values: { '1': false }, keep_others: true }, column('tinyint(1)', 'bool'));
    expect(apply('1', row)).toBe('0');
    expect(apply('0', row)).toBe('0');
  });
});
