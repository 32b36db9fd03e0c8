import { describe, expect, it } from 'vitest';
import { englishFaker } from '../seeded-faker.js';
import type { ColumnInfo } from '../transformer.js';
import { firstName } from './first-name.js';
import { fullName } from './full-name.js';
import { sexOf } from './gender.js';

const SALT = Buffer.from('gender salt');
const row = { get: () => null };
const column: ColumnInfo = { schema: 'public', table: 'people', name: 'first_name', type: 'text', baseType: 'text' };
const names = englishFaker().rawDefinitions.person!.first_name as { female: string[]; male: string[] };

describe('gender on first-name and full-name (Greenmask\'s RandomPerson)', () => {
  it('reads the usual ways a column writes it, and nothing else', () => {
    expect(['F', 'female', ' Woman ', 'mrs'].map(sexOf)).toEqual(['female', 'female', 'female', 'female']);
    expect(['m', 'MALE', 'Mr'].map(sexOf)).toEqual(['male', 'male', 'male']);
    expect(['X', '', 'unknown', undefined].map(sexOf)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('gives names of that sex, and the same name for the same input and gender', () => {
    const female = firstName.create(firstName.options.parse({ gender: 'F' }), { column, salt: SALT });
    const male = fullName.create(fullName.options.parse({ gender: 'M' }), { column, salt: SALT });
    for (let i = 0; i < 200; i += 1) {
      expect(names.female).toContain(female(`person ${i}`, row));
      expect(names.male).toContain(male(`person ${i}`, row)!.split(' ')[0]);
      expect(female(`person ${i}`, row)).toBe(female(`person ${i}`, row));
    }
  });

  it('leaves the default output as it was: no gender, or one it cannot read, draws from the whole list', () => {
    const plain = firstName.create(firstName.options.parse({}), { column, salt: SALT });
    const unknown = firstName.create(firstName.options.parse({ gender: 'X' }), { column, salt: SALT });
    for (let i = 0; i < 50; i += 1) expect(unknown(`person ${i}`, row)).toBe(plain(`person ${i}`, row));
  });
});
