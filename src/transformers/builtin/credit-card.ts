import { fakeTextTransformer } from '../fake-text.js';

/** A valid card number (Luhn). On a unique column: `4` + 14 keyed digits + the Luhn digit. */
export const creditCard = fakeTextTransformer({
  name: 'credit-card',
  description: 'A credit card number that passes the Luhn check. Empty stays empty.',
  examples: [{ input: '4111 1111 1111 1111' }],
  placesSuffix: true,
  digitSuffix: true,
  generate: ({ faker, suffix }) => (suffix === undefined ? faker.finance.creditCardNumber({ issuer: '4###-####-####-###L' }) : withLuhn(`4${suffix.slice(0, 14)}`)),
});

function withLuhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}
