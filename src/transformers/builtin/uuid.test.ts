import { describe, expect, it } from 'vitest';
import { uuid } from './uuid.js';

const column = { schema: 'public', table: 't', name: 'ref', type: 'text', baseType: 'text', unique: true };
const apply = uuid.create(uuid.options.parse({}), { column, salt: Buffer.from('salt') });

describe('uuid', () => {
  it('keeps two text values that differ only in case distinct (it lower-cased them into one)', () => {
    const upper = apply('0B7E5E2C-3F1D-4C6A-9A53-2D0F9B1E8C47', { get: () => null });
    const lower = apply('0b7e5e2c-3f1d-4c6a-9a53-2d0f9b1e8c47', { get: () => null });
    expect(upper).not.toBe(lower);
    expect(uuid.version).toBe(2);
  });
});
