import { describe, expect, it } from 'vitest';
import { parsePath, updateAtPath } from './json-path.js';

describe('json paths', () => {
  it('reads the documented syntax', () => {
    expect(parsePath('a.b')).toEqual([{ kind: 'key', key: 'a' }, { kind: 'key', key: 'b' }]);
    expect(parsePath('$.a.b')).toEqual(parsePath('a.b'));
    for (const every of ['contacts.$.phone', 'contacts.$[].phone', 'contacts[*].phone']) {
      expect(parsePath(every)).toEqual([{ kind: 'key', key: 'contacts' }, { kind: 'every' }, { kind: 'key', key: 'phone' }]);
    }
    expect(parsePath('items.0.sku')).toEqual(parsePath('items[0].sku'));
    expect(parsePath('$["a.b"].c')).toEqual([{ kind: 'key', key: 'a.b' }, { kind: 'key', key: 'c' }]);
    expect(() => parsePath('')).toThrow();
  });

  it('updates every value a path reaches and reports whether any matched', () => {
    const doc = { name: 'Jane', contacts: [{ phone: '1' }, { phone: '2' }, { email: 'x' }], nested: { deep: { v: 3 } } };
    expect(updateAtPath(doc, parsePath('contacts.$.phone'), (v) => `#${String(v)}`)).toBe(true);
    expect(doc.contacts).toEqual([{ phone: '#1' }, { phone: '#2' }, { email: 'x' }]);
    expect(updateAtPath(doc, parsePath('nested.deep.v'), () => 4)).toBe(true);
    expect(doc.nested.deep.v).toBe(4);
    expect(updateAtPath(doc, parsePath('missing.x'), () => 0)).toBe(false);
    expect(updateAtPath(doc, parsePath('contacts.phone'), () => 0)).toBe(false);
  });
});
