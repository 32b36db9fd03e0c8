import { describe, expect, it } from 'vitest';
import { email } from './email.js';

const row = { get: () => null };
const column = { schema: 'public', table: 'users', name: 'email', type: 'character varying(40)', baseType: 'varchar', maxLength: 40 };

describe('email', () => {
  it('keeps empty strings empty and NULL NULL, as the original', () => {
    const apply = email.create({ deterministic: true }, { column, salt: Buffer.from('s') });
    expect(apply('', row)).toBe('');
    expect(apply(null, row)).toBeNull();
  });

  it('gives 100,000 distinct addresses that fit varchar(40) on a unique column', () => {
    const apply = email.create({ deterministic: true }, { column: { ...column, unique: true }, salt: Buffer.from('s') });
    const outputs = new Set<string>();
    for (let i = 0; i < 100_000; i += 1) {
      const out = apply(`user${i}@acme.com`, row)!;
      expect(out.length).toBeLessThanOrEqual(40);
      outputs.add(out);
    }
    expect(outputs.size).toBe(100_000);
    expect([...outputs][0]).toMatch(/^[^@]+\.[0-9a-z]{12}@[^@]+$/);
  });

  it('does not reveal the input to someone who knows the fake-data library but not the salt', () => {
    // With the value fed to the library directly, anyone could recompute the fake from a guess.
    const apply = email.create({ deterministic: true }, { column, salt: Buffer.from('secret') });
    expect(apply('jane@acme.com', row)).not.toBe(email.create({ deterministic: true }, { column, salt: Buffer.from('guess') })('jane@acme.com', row));
  });
});
