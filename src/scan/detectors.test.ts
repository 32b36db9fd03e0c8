import { describe, expect, it } from 'vitest';
import { CONTENT_DETECTORS, isValidIban, NAME_RULES, nameRuleFits, normalizeColumnName, passesLuhn } from './detectors.js';

const kindOf = (value: string) => CONTENT_DETECTORS.find((d) => d.matches(value))?.kind;

describe('content detectors', () => {
  it("checks card numbers with Luhn's checksum", () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(kindOf('4111 1111 1111 1111')).toBe('card');
    expect(kindOf('4111-1111-1111-1112')).not.toBe('card');
  });

  it('checks IBANs with the mod-97 checksum', () => {
    expect(isValidIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE89370400440532013001')).toBe(false);
    // A hex digest that passes mod-97 (as one in 97 do) but is not a German IBAN's 22 characters.
    expect(isValidIban('de3644a684f98ea8fe22')).toBe(false);
  });

  it('tells emails, IPs, phones and tokens apart, and leaves ordinary values alone', () => {
    expect(kindOf('jane.doe@acme.com')).toBe('email');
    expect(kindOf('192.168.10.4')).toBe('ip');
    expect(kindOf('2001:db8::1')).toBe('ip');
    expect(kindOf('+44 20 7946 0958')).toBe('phone');
    expect(kindOf('sk_live_4eC39HqLyjWDarjtT1zdp7dc')).toBe('token');
    expect(kindOf('550e8400-e29b-41d4-a716-446655440000')).toBeUndefined();
    expect(kindOf('2024-05-01')).toBeUndefined();
    expect(kindOf('shipped')).toBeUndefined();
    expect(kindOf('Ergonomic Steel Chair')).toBeUndefined();
  });

  it('normalizes column names before the name rules', () => {
    expect(normalizeColumnName('firstName')).toBe('first_name');
    expect(normalizeColumnName('E-Mail')).toBe('e_mail');
  });

  it('names a username a username (not a full name), and never flags keys, numbers or dates by name', () => {
    const kindByName = (name: string) => NAME_RULES.find((rule) => rule.pattern.test(normalizeColumnName(name)))?.kind;
    expect(kindByName('username')).toBe('username');
    expect(kindByName('userName')).toBe('username');
    expect(kindByName('login')).toBe('username');
    expect(kindByName('customer_name')).toBe('full-name');
    expect(kindByName('address_id')).toBe('address');
    expect(nameRuleFits('address', { baseType: 'int4' }, false)).toBe(false);
    expect(nameRuleFits('address', { baseType: 'text' }, true)).toBe(false);
    expect(nameRuleFits('phone', { baseType: 'numeric' }, false)).toBe(false);
    expect(nameRuleFits('email', { baseType: 'bool' }, false)).toBe(false);
    expect(nameRuleFits('email', { baseType: 'timestamptz' }, false)).toBe(false);
    expect(nameRuleFits('birth-date', { baseType: 'date' }, false)).toBe(true);
    expect(nameRuleFits('address', { baseType: 'varchar' }, false)).toBe(true);
  });
});
