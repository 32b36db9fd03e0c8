import { describe, expect, it } from 'vitest';
import { compileCondition, conditionColumns, type ValueKind } from './condition.js';

const KINDS: Record<string, ValueKind> = { email: 'text', role: 'text', age: 'number', created_at: 'date', is_staff: 'boolean', country: 'text', 'odd name': 'text' };
const kindOf = (column: string) => KINDS[column];

/** Evaluates `when` for the column `email` on a row (the email value is the transformer's input). */
function holds(when: string, row: Record<string, string | null>): boolean {
  const test = compileCondition(when, 'email', kindOf);
  return test(row.email ?? null, { get: (name) => row[name] ?? null });
}

describe('conditions', () => {
  const row = { email: 'ann@acme.com', role: 'staff', age: '42', created_at: '2020-03-01 10:00:00+02', is_staff: 't', country: 'FR', 'odd name': 'x' };

  it('compares text, numbers (as numbers: 9 < 10), dates and booleans by the column type', () => {
    expect(holds("role = 'staff'", row)).toBe(true);
    expect(holds("role <> 'staff'", row)).toBe(false);
    expect(holds('age > 9', row)).toBe(true); // as text, '42' < '9'
    expect(holds("age >= '42'", row)).toBe(true);
    expect(holds("created_at < '2020-03-01 09:00:00Z'", row)).toBe(true); // 10:00+02 is 08:00Z
    expect(holds("created_at > '2020-02-29'", row)).toBe(true);
    expect(holds('is_staff', row)).toBe(true);
    expect(holds('not is_staff', row)).toBe(false);
    expect(holds('is_staff = false', row)).toBe(false);
  });

  it('has and, or, not, in, like, ilike, regular expressions, is null, functions and quoted names', () => {
    expect(holds("role = 'staff' and age < 40", row)).toBe(false);
    expect(holds("role = 'staff' or age < 40", row)).toBe(true);
    expect(holds("not (role = 'staff')", row)).toBe(false);
    expect(holds("country in ('FR', 'DE')", row)).toBe(true);
    expect(holds("country not in ('FR', 'DE')", row)).toBe(false);
    expect(holds('age in (41, 42)', row)).toBe(true);
    expect(holds("email like '%@acme.com'", row)).toBe(true);
    expect(holds("email like '%@ACME.com'", row)).toBe(false);
    expect(holds("email ilike '%@ACME.com'", row)).toBe(true);
    expect(holds("email not like 'a_n@%'", row)).toBe(false);
    expect(holds("email ~ '^an+@'", row)).toBe(true);
    expect(holds("email ~* '^AN'", row)).toBe(true);
    expect(holds("email !~ 'acme'", row)).toBe(false);
    expect(holds('role is not null and created_at is not null', row)).toBe(true);
    expect(holds("lower(country) = 'fr' and length(country) = 2", row)).toBe(true);
    expect(holds('"odd name" = \'x\'', row)).toBe(true);
    expect(holds("ROLE = 'staff' AND NOT (age < 18)".replace('ROLE', 'role'), row)).toBe(true);
  });

  it('reads NULL as equal to nothing: every negated test is the exact opposite of its positive one', () => {
    const empty = { email: 'a@b.c', role: null, age: null };
    expect(holds('role is null', empty)).toBe(true);
    expect(holds("role = 'staff'", empty)).toBe(false);
    expect(holds("role <> 'staff'", empty)).toBe(true);
    expect(holds("role not in ('staff')", empty)).toBe(true);
    expect(holds("role not like 's%'", empty)).toBe(true);
    expect(holds('age < 18', empty)).toBe(false);
  });

  it('refuses unknown columns, operators and functions, ill-typed literals and bad syntax, naming them', () => {
    expect(() => compileCondition("rol = 'staff'", 'email', kindOf)).toThrow('unknown column rol');
    expect(() => compileCondition('age + 1 > 2', 'email', kindOf)).toThrow(/cannot parse/);
    expect(() => compileCondition("created_at < 'yesterday'", 'email', kindOf)).toThrow("'yesterday' is not a date");
    expect(() => compileCondition("age = 'old'", 'email', kindOf)).toThrow("'old' is not a number");
    expect(() => compileCondition('role', 'email', kindOf)).toThrow(/role is not a condition/);
    expect(() => compileCondition("not role = 'a'", 'email', kindOf)).toThrow(/not \(role = …\)/);
    expect(() => compileCondition('role = null', 'email', kindOf)).toThrow(/is null/);
    expect(() => compileCondition("email ~ '('", 'email', kindOf)).toThrow(/invalid regular expression/);
    expect(() => compileCondition("upper(role, 1) = 'A'", 'email', kindOf)).toThrow(/unknown function/);
    expect(() => compileCondition("role = 'a' and", 'email', kindOf)).toThrow(/cannot parse/);
  });

  it('reads document field paths typed by what they are compared with', () => {
    const test = compileCondition("profile.role = 'staff' and profile.age > 9 and \"tags.0\" = 'x'", 'email', () => 'any');
    const doc: Record<string, string> = { 'profile.role': 'staff', 'profile.age': '42', 'tags.0': 'x' };
    expect(test('a@b.c', { get: (name) => doc[name] ?? null })).toBe(true);
    expect(conditionColumns("profile.role = 'staff' and profile.age > 9 or profile.role is null")).toEqual(['profile.role', 'profile.age']);
  });
});
