import type { SexType } from '@faker-js/faker';
import { z } from 'zod';
import { fakeTextOptions } from '../fake-text.js';

/**
 * Greenmask's RandomPerson `gender`: a first name of the person's sex, usually read from the row
 * (`gender: { column: sex }`). The common ways a column writes it are understood; any other value (a
 * NULL, `X`, `unknown`) gives a name from the whole list, so a row's value never stops the dump.
 */
export const genderOptions = fakeTextOptions.extend({ gender: z.string().optional() });

const FEMALE = /^(f|female|w|woman|women|girl|mrs|ms|miss|femme|frau|mujer|donna)$/i;
const MALE = /^(m|male|man|men|boy|mr|homme|mann|hombre|uomo)$/i;

export function sexOf(gender: string | undefined): SexType | undefined {
  const text = gender?.trim() ?? '';
  if (FEMALE.test(text)) return 'female';
  if (MALE.test(text)) return 'male';
  return undefined;
}
