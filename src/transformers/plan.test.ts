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

describe('planTransforms on partitions and inheritance children', () => {
  const pcol = (table: string, name: string, extra: Partial<ColumnInfo> = {}) => col(table, name, extra);
  const accountColumns = (table: string) => [pcol(table, 'email', { notNull: true }), pcol(table, 'region', { notNull: true }), pcol(table, 'login')];
  const TREE: TableColumns[] = [
    { schema: 'public', name: 'users', columns: [pcol('users', 'id', { type: 'integer', baseType: 'int4', unique: true }), pcol('users', 'email', { unique: true })] },
    { schema: 'public', name: 'accounts', columns: accountColumns('accounts'), partitionKey: ['region'] },
    { schema: 'public', name: 'accounts_eu', columns: accountColumns('accounts_eu'), parents: [{ schema: 'public', name: 'accounts' }] },
    { schema: 'public', name: 'accounts_us', columns: accountColumns('accounts_us'), parents: [{ schema: 'public', name: 'accounts' }] },
    { schema: 'public', name: 'visits', columns: [pcol('visits', 'account_email'), pcol('visits', 'account_region'), pcol('visits', 'user_email')] },
    { schema: 'public', name: 'visits_old', columns: [pcol('visits_old', 'user_email'), pcol('visits_old', 'account_email'), pcol('visits_old', 'account_region')], parents: [{ schema: 'public', name: 'visits' }] },
  ];
  const TREE_FKS: ForeignKeyRef[] = [
    { name: 'visits_account_fkey', schema: 'public', table: 'visits', columns: ['account_email', 'account_region'], referencedSchema: 'public', referencedTable: 'accounts', referencedColumns: ['email', 'region'] },
    { name: 'visits_user_fkey', schema: 'public', table: 'visits', columns: ['user_email'], referencedSchema: 'public', referencedTable: 'users', referencedColumns: ['email'] },
  ];
  const treePlan = (transformers: string) => {
    const config = parseConfig(`salt: s\nsource:\n  connection_uri: postgres://x@localhost/db\n  transformers:\n${transformers}\ndatastore:\n  local_disk:\n    dir: /tmp\n`, 'conf.yaml', {});
    return planTransforms(config, TREE, builtinTransformers(), Buffer.from('salt'), (t) => t.columns.map((c) => c.name), TREE_FKS);
  };
  const entry = (table: string, columns: string) => `    - database: public\n      table: ${table}\n      columns:\n${columns}`;
  const applyOn = (result: ReturnType<typeof treePlan>, table: string, column: string, value: string, get: (name: string) => string | null = () => null) => {
    const t = TREE.find((x) => x.name === table)!;
    const index = t.columns.findIndex((c) => c.name === column);
    const transform = result.tables.get(tableKey('public', table))?.transforms.find((x) => x.index === index);
    return transform?.apply(value, { get });
  };

  it('hands an entry down to every partition, by column name, and the same value gets the same fake in each', () => {
    const result = treePlan(entry('accounts', `        - { name: email, transformer_name: email }\n`));
    const fakes = ['accounts', 'accounts_eu', 'accounts_us'].map((table) => applyOn(result, table, 'email', 'jane@acme.com'));
    expect(new Set(fakes).size).toBe(1);
    expect(fakes[0]).not.toBe('jane@acme.com');
    // The key's referencing column follows it, and the partition of the referencing table too (its own column order).
    expect(applyOn(result, 'visits_old', 'account_email', 'jane@acme.com')).toBe(fakes[0]);
    expect(result.transformed).toContainEqual(expect.objectContaining({ table: 'visits_old', column: 'account_email', propagatedFrom: 'public.accounts.email', inheritedFrom: 'public.visits' }));
  });

  it('lets a partition name its own transformer for a column: it wins there, the other columns keep the parent’s', () => {
    const result = treePlan(
      entry('accounts', `        - { name: login, transformer_name: redacted }\n        - { name: email, transformer_name: email }\n`) +
        entry('accounts_eu', `        - { name: login, transformer_name: constant, transformer_options: { value: eu-login } }\n`),
    );
    expect(applyOn(result, 'accounts_eu', 'login', 'jdoe-secret')).toBe('eu-login');
    expect(applyOn(result, 'accounts_us', 'login', 'jdoe-secret')).toBe('jdo**********');
    expect(applyOn(result, 'accounts_eu', 'email', 'jane@acme.com')).toBe(applyOn(result, 'accounts', 'email', 'jane@acme.com'));
  });

  it('refuses a partition key column, a partition transforming a referenced key its own way, and a partition’s entry against a followed key', () => {
    expect(() => treePlan(entry('accounts', `        - { name: region, transformer_name: redacted }\n`))).toThrow(/public\.accounts\.region is in the partition key of public\.accounts/);
    expect(() => treePlan(entry('accounts', `        - { name: email, transformer_name: email }\n`) + entry('accounts_eu', `        - { name: email, transformer_name: hash }\n`))).toThrow(
      /public\.accounts_eu\.email is a partition or inheritance child of public\.accounts, whose email is a key referenced by foreign key visits_account_fkey and whose entry transforms it with email/,
    );
    expect(() => treePlan(entry('accounts_eu', `        - { name: email, transformer_name: email }\n`))).toThrow(/whose entry leaves it as it is/);
    expect(() => treePlan(entry('users', `        - { name: email, transformer_name: email }\n`) + entry('visits_old', `        - { name: user_email, transformer_name: hash }\n`))).toThrow(
      /public\.visits_old\.user_email is a partition or inheritance child of public\.visits, whose user_email follows the key public\.users\.email/,
    );
  });
});

describe('conditions and options read from the row', () => {
  const PEOPLE: TableColumns[] = [
    {
      schema: 'public',
      name: 'people',
      columns: [
        col('people', 'id', { type: 'integer', baseType: 'int4', unique: true }),
        col('people', 'first_name'),
        col('people', 'last_name'),
        col('people', 'email', { unique: true }),
        col('people', 'role'),
        col('people', 'age', { type: 'integer', baseType: 'int4' }),
      ],
    },
    { schema: 'public', name: 'notes', columns: [col('notes', 'author_email')] },
  ];
  const NOTES_FK: ForeignKeyRef[] = [{ name: 'notes_author_fkey', schema: 'public', table: 'notes', columns: ['author_email'], referencedSchema: 'public', referencedTable: 'people', referencedColumns: ['email'] }];
  const peoplePlan = (columns: string, foreignKeys = NOTES_FK) => {
    const config = parseConfig(`salt: s\nsource:\n  connection_uri: postgres://x@localhost/db\n  transformers:\n    - database: public\n      table: people\n      columns:\n${columns}datastore:\n  local_disk:\n    dir: /tmp\n`, 'conf.yaml', {});
    return planTransforms(config, PEOPLE, builtinTransformers(), Buffer.from('salt'), (t) => t.columns.map((c) => c.name), foreignKeys);
  };
  const PERSON: Record<string, string> = { id: '7', first_name: 'Jane', last_name: 'Doe', email: 'jane@acme.com', role: 'customer', age: '42' };
  const applyRow = (result: ReturnType<typeof peoplePlan>, values: Record<string, string>, table = 'people') => {
    const columns = table === 'people' ? PEOPLE[0]!.columns.map((c) => c.name) : ['author_email'];
    const view = { get: (name: string) => values[name] ?? null };
    const out: Record<string, string | null> = {};
    for (const t of result.tables.get(tableKey('public', table))!.transforms) out[columns[t.index]!] = t.apply(values[columns[t.index]!] ?? null, view);
    return out;
  };

  it('runs a transformer only on the rows where its `when:` holds, and records the condition', () => {
    const result = peoplePlan(`        - { name: first_name, transformer_name: first-name, when: "role <> 'staff' and age > 9" }\n`);
    expect(applyRow(result, PERSON).first_name).not.toBe('Jane');
    expect(applyRow(result, { ...PERSON, role: 'staff' }).first_name).toBe('Jane');
    expect(applyRow(result, { ...PERSON, age: '5' }).first_name).toBe('Jane');
    expect(result.transformed[0]).toMatchObject({ column: 'first_name', when: "role <> 'staff' and age > 9" });
  });

  it('names an unknown column of a condition, with its place in the config', () => {
    expect(() => peoplePlan(`        - { name: first_name, transformer_name: first-name, when: "rol = 'staff'" }\n`)).toThrow(
      /conf\.yaml:\d+:\d+: source\.transformers\[0\]\.columns\[0\]\.when: unknown column rol \(condition on public\.people\.first_name; its columns: id, first_name/,
    );
  });

  it('builds an email from the transformed first and last names: deterministic and distinct', () => {
    const result = peoplePlan(
      `        - { name: first_name, transformer_name: first-name }\n        - { name: last_name, transformer_name: last-name }\n` +
        `        - { name: email, transformer_name: email, transformer_options: { first_name: { transformed: first_name }, last_name: { transformed: last_name } } }\n`,
      [],
    );
    const out = applyRow(result, PERSON);
    expect(out.email).toContain(`${out.first_name!.toLowerCase().replace(/[^a-z0-9]/g, '')}`);
    expect(out.email).toMatch(/@example\.(com|net|org)$/);
    expect(applyRow(result, PERSON).email).toBe(out.email);
    expect(applyRow(result, { ...PERSON, email: 'other@acme.com' }).email).not.toBe(out.email);
    expect(result.transformed.find((t) => t.column === 'email')?.options).toEqual({ first_name: { transformed: 'first_name' }, last_name: { transformed: 'last_name' } });
  });

  it('refuses row-read options and conditions on a key whose referencing column could not follow, and cycles', () => {
    expect(() => peoplePlan(`        - { name: email, transformer_name: email, transformer_options: { first_name: { column: first_name } } }\n`)).toThrow(
      /public\.notes\.author_email references this column \(foreign key notes_author_fkey\): its options reads first_name of its own row/,
    );
    expect(() => peoplePlan(`        - { name: email, transformer_name: email, when: "role <> 'staff'" }\n`)).toThrow(/its condition reads role of its own row/);
    // A condition on the key's own value travels with it.
    const own = peoplePlan(`        - { name: email, transformer_name: email, when: "email not like '%@staff.acme.com'" }\n`);
    expect(applyRow(own, { author_email: 'ann@staff.acme.com' }, 'notes').author_email).toBe('ann@staff.acme.com');
    expect(applyRow(own, { author_email: 'jane@acme.com' }, 'notes').author_email).toBe(applyRow(own, PERSON).email);
    expect(() =>
      peoplePlan(
        `        - { name: first_name, transformer_name: constant, transformer_options: { value: { transformed: last_name } } }\n        - { name: last_name, transformer_name: template, transformer_options: { template: "{{first_name}}" } }\n`,
      ),
    ).toThrow(/the transformed values read each other in a cycle \((first_name → last_name → first_name|last_name → first_name → last_name)\)/);
    expect(() => peoplePlan(`        - { name: first_name, transformer_name: constant, transformer_options: { value: { transformed: role } } }\n`)).toThrow(/reads the transformed value of role, which has no transformer: use \{ column: role \}/);
    expect(() => peoplePlan(`        - { name: first_name, transformer_name: constant, transformer_options: { value: { column: nope } } }\n`)).toThrow(/reads nope, which is not a column of the table/);
    expect(() => peoplePlan(`        - { name: age, transformer_name: number-noise, transformer_options: { ratio: { column: role } } }\n`)).toThrow(/transformer_options\.ratio: .* with a value read from the row \(column role: text\)/);
  });
});

describe('planTransforms on a column unique within a prefix (MySQL `UNIQUE (name(16))`)', () => {
  const tables: TableColumns[] = [
    { schema: 'db', name: 'users', columns: [col('users', 'login', { schema: 'db', type: 'varchar(60)', baseType: 'varchar', maxLength: 60, unique: true, uniquePrefix: 16 }), col('users', 'code', { schema: 'db', type: 'varchar(60)', baseType: 'varchar', maxLength: 60, unique: true, uniquePrefix: 8 })] },
    { schema: 'db', name: 'audit', columns: [col('audit', 'login', { schema: 'db', type: 'varchar(60)', baseType: 'varchar', maxLength: 60 })] },
  ];
  const config = (entries: string) =>
    parseConfig(`salt: s\nsource:\n  connection_uri: mysql://x@localhost/db\n  transformers:\n${entries}\ndatastore:\n  local_disk:\n    dir: /tmp\n`, 'conf.yaml', {});
  const entry = (table: string, column: string, transformer: string) => `    - database: db\n      table: ${table}\n      columns:\n        - { name: ${column}, transformer_name: ${transformer} }\n`;

  it('writes fakes that fit in the prefix, in the unique column and in its family, so they stay distinct there and joins hold', () => {
    const result = planTransforms(config(entry('users', 'login', 'company') + entry('audit', 'login', 'company')), tables, builtinTransformers(), Buffer.from('salt'), (t) => t.columns.map((c) => c.name));
    const users = result.tables.get(tableKey('db', 'users'))!.transforms[0]!;
    const audit = result.tables.get(tableKey('db', 'audit'))!.transforms[0]!;
    for (const value of ['Acme Corporation International', 'a', 'Wintheiser, Marks and Kreiger']) {
      const fake = users.apply(value, row)!;
      expect([...fake].length).toBeLessThanOrEqual(16);
      expect(fake).toMatch(/-[0-9a-z]+$/);
      expect(audit.apply(value, row)).toBe(fake);
    }
  });

  it('refuses a prefix too short to hold the unique suffix, saying it is a prefix', () => {
    expect(() => planTransforms(config(entry('users', 'code', 'first-name')), tables, builtinTransformers(), Buffer.from('salt'), (t) => t.columns.map((c) => c.name))).toThrow(
      /first-name cannot transform db\.users\.code \(varchar\(60\)\): the column is unique within its first 8 characters \(a prefix index\)/,
    );
  });
});
