import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { builtinTransformers } from './builtin/index.js';
import { planTransforms, tableKey, type ForeignKeyRef, type TableColumns } from './plan.js';
import type { ColumnInfo } from './transformer.js';

const col = (table: string, name: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ schema: 'public', table, name, type: 'text', baseType: 'text', ...extra });
const TABLES: TableColumns[] = [
  { schema: 'public', name: 'customers', columns: [col('customers', 'id', { type: 'integer', baseType: 'int4', unique: true, notNull: true }), col('customers', 'email', { unique: true, notNull: true }), col('customers', 'country'), col('customers', 'login')] },
  { schema: 'public', name: 'orders', columns: [col('orders', 'id', { type: 'integer', baseType: 'int4', unique: true }), col('orders', 'customer_email', { type: 'character varying(200)', baseType: 'varchar', maxLength: 200 })] },
  { schema: 'public', name: 'refunds', columns: [col('refunds', 'id', { type: 'integer', baseType: 'int4' }), col('refunds', 'order_email')] },
  { schema: 'public', name: 'events', columns: [col('events', 'at', { type: 'date', baseType: 'date' }), col('events', 'payload', { type: 'jsonb', baseType: 'jsonb' })] },
];
const FKS: ForeignKeyRef[] = [
  { name: 'orders_customer_email_fkey', schema: 'public', table: 'orders', columns: ['customer_email'], referencedSchema: 'public', referencedTable: 'customers', referencedColumns: ['email'] },
  { name: 'refunds_email_fkey', schema: 'public', table: 'refunds', columns: ['order_email'], referencedSchema: 'public', referencedTable: 'orders', referencedColumns: ['customer_email'] },
];

function plan(columns: string) {
  const config = parseConfig(
    `salt: s\nsource:\n  connection_uri: postgres://x@localhost/db\n  transformers:\n${columns}\ndatastore:\n  local_disk:\n    dir: /tmp\n`,
    'conf.yaml',
    {},
  );
  return planTransforms(config, TABLES, builtinTransformers(), Buffer.from('salt'), (t) => t.columns.map((c) => c.name), FKS);
}

const row = { get: () => null };

describe('planTransforms', () => {
  it('gives every referencing column, transitively, the very function of its key, and says so', () => {
    const result = plan(`    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: email }\n`);
    expect(result.transformed).toEqual([
      { schema: 'public', table: 'customers', column: 'email', transformer: 'email', options: { deterministic: true }, algorithm: 'email@1' },
      { schema: 'public', table: 'orders', column: 'customer_email', transformer: 'email', propagatedFrom: 'public.customers.email', options: { deterministic: true }, algorithm: 'email@1' },
      { schema: 'public', table: 'refunds', column: 'order_email', transformer: 'email', propagatedFrom: 'public.customers.email', options: { deterministic: true }, algorithm: 'email@1' },
    ]);
    const key = result.tables.get(tableKey('public', 'customers'))!.transforms[0]!.apply('jane@acme.com', row);
    const order = result.tables.get(tableKey('public', 'orders'))!.transforms[0]!.apply('jane@acme.com', row);
    const refund = result.tables.get(tableKey('public', 'refunds'))!.transforms[0]!.apply('jane@acme.com', row);
    expect(order).toBe(key);
    expect(refund).toBe(key);
    expect(key).not.toBe('jane@acme.com');
  });

  it('accepts the same transformer written on a referencing column, refuses another one', () => {
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: email }\n    - database: public\n      table: orders\n      columns:\n        - { name: customer_email, transformer_name: email }\n`)).not.toThrow();
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: email }\n    - database: public\n      table: orders\n      columns:\n        - { name: customer_email, transformer_name: hash }\n`)).toThrow(
      /conf\.yaml:\d+:\d+: .*public\.orders\.customer_email references public\.customers\.email \(foreign key orders_customer_email_fkey\), which is transformed by email with other options/,
    );
  });

  it('refuses a transformed referencing column whose key is left as it is', () => {
    expect(() => plan(`    - database: public\n      table: orders\n      columns:\n        - { name: customer_email, transformer_name: email }\n`)).toThrow(
      /public\.orders\.customer_email references public\.customers\.email .* which is not transformed: transform public\.customers\.email instead/,
    );
  });

  it('refuses, before any row, a transformer that cannot write the column type, naming table, column and type', () => {
    expect(() => plan(`    - database: public\n      table: events\n      columns:\n        - { name: at, transformer_name: email }\n`)).toThrow(/email cannot transform public\.events\.at \(date\)/);
  });

  it('refuses a transformer whose outputs may repeat on a unique column', () => {
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: redacted }\n`)).toThrow(/the column is unique/);
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: id, transformer_name: number-noise }\n`)).toThrow(/the column is unique/);
  });

  it('refuses null on a NOT NULL column and a constant that does not fit', () => {
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: id, transformer_name: 'null' }\n`)).toThrow(/NOT NULL/);
    expect(() => plan(`    - database: public\n      table: refunds\n      columns:\n        - { name: id, transformer_name: constant, transformer_options: { value: abc } }\n`)).toThrow(/"abc" is not a valid integer/);
  });

  it('lets a template read transformed columns: it writes their transformed value, never the original', () => {
    const result = plan(`    - database: public\n      table: customers\n      columns:\n        - { name: email, transformer_name: email }\n        - { name: login, transformer_name: template, transformer_options: { template: 'login:{{email}}' } }\n`);
    const transforms = result.tables.get(tableKey('public', 'customers'))!.transforms;
    const view = { get: (name: string) => (name === 'email' ? 'jane@acme.com' : null) };
    const email = transforms[0]!.apply('jane@acme.com', view);
    expect(transforms[1]!.apply('jdoe', view)).toBe(`login:${email}`);
    expect(() => plan(`    - database: public\n      table: customers\n      columns:\n        - { name: login, transformer_name: template, transformer_options: { template: '{{nope}}' } }\n`)).toThrow(/\{\{nope\}\}, which is not a column/);
  });

  it('checks json paths and their transformers when the dump starts', () => {
    expect(() => plan(`    - database: public\n      table: events\n      columns:\n        - { name: payload, transformer_name: json, transformer_options: { paths: [ { path: a.b, transformer_name: nope } ] } }\n`)).toThrow(/unknown transformer nope/);
    expect(() => plan(`    - database: public\n      table: events\n      columns:\n        - { name: payload, transformer_name: json, transformer_options: { paths: [ { path: born, transformer_name: date-shift } ] } }\n`)).toThrow(/date-shift cannot transform born as text/);
  });
});
