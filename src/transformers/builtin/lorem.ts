import { z } from 'zod';
import { fitLength, isEmptyText, refuseUnlessText } from '../column-types.js';
import { SeededFaker } from '../seeded-faker.js';
import { defineTransformer } from '../transformer.js';
import { appendSuffix, refuseTooShortForUnique, uniqueSuffix } from '../unique-suffix.js';

/** Free text of about the input's length (lorem ipsum words), so layouts and sizes stay realistic. */
export const lorem = defineTransformer({
  name: 'lorem',
  description: 'Lorem ipsum text of about the same length as the input (never longer than the column allows). Empty stays empty.',
  options: z.strictObject({ deterministic: z.boolean().default(true) }),
  deterministic: true,
  unique: 'keeps',
  accepts: 'text, varchar(n), char(n), citext',
  refuses: (column) => refuseUnlessText(column) ?? refuseTooShortForUnique(column),
  examples: [{ input: 'Called about the invoice; customer is upset about the late delivery.' }],
  create: (options, { column, salt }) => {
    const seeded = new SeededFaker(salt, 'lorem');
    return (value) => {
      if (value === null || isEmptyText(value, column)) return value;
      const faker = seeded.for(value, options.deterministic);
      const target = [...value].length;
      let text = faker.lorem.word();
      text = text.charAt(0).toUpperCase() + text.slice(1);
      while (text.length < target) text += ` ${faker.lorem.word()}`;
      const cut = text.slice(0, Math.max(1, target)).trimEnd();
      return column.unique ? appendSuffix(cut, uniqueSuffix(salt, value, { deterministic: options.deterministic }), column, ' ') : fitLength(cut, column);
    };
  },
});
