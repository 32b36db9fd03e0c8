import { describe, expect, it } from 'vitest';
import { foreignKeyStatement, planPostData, relationKey } from './post-data-plan.js';

const POST_DATA = [
  "SET statement_timeout = 0;",
  "SELECT pg_catalog.set_config('search_path', '', false);",
  '--\n-- Name: customers customers_pkey; Type: CONSTRAINT\n--\n\nALTER TABLE ONLY public.customers\n    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);',
  'CREATE INDEX orders_customer ON public.orders USING btree (customer_id);',
  'CREATE INDEX "Odd idx" ON "Odd Schema"."Mixed ""Case"" Table" USING btree ("Id");',
  'CREATE INDEX measurements_at ON ONLY public.measurements USING btree (at);',
  'ALTER INDEX public.measurements_at ATTACH PARTITION public.measurements_2024_at;',
  'CREATE TRIGGER audit AFTER UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION public.audit();',
  'ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);',
  'ALTER TABLE public.measurements\n    ADD CONSTRAINT measurements_sensor_fkey FOREIGN KEY (sensor) REFERENCES public.sensors(id);',
];

describe('planPostData', () => {
  const loaded = new Set([relationKey('public', 'customers'), relationKey('public', 'orders'), relationKey('Odd Schema', 'Mixed "Case" Table')]);
  const plan = planPostData(POST_DATA, loaded);

  it('runs the leading settings on every connection', () => {
    expect(plan.settings).toEqual(['SET statement_timeout = 0', "SELECT pg_catalog.set_config('search_path', '', false)"]);
  });

  it('builds a loaded table\'s own indexes and keys with it, quoted names unquoted', () => {
    expect(plan.perTable.get(relationKey('public', 'customers'))).toEqual(['ALTER TABLE ONLY public.customers\n    ADD CONSTRAINT customers_pkey PRIMARY KEY (id)']);
    expect(plan.perTable.get(relationKey('public', 'orders'))).toHaveLength(1);
    expect(plan.perTable.get(relationKey('Odd Schema', 'Mixed "Case" Table'))).toHaveLength(1);
  });

  it('keeps partitioned parents, attachments and triggers in order for afterwards', () => {
    expect(plan.rest.map((sql) => sql.split(' ').slice(0, 3).join(' '))).toEqual(['CREATE INDEX measurements_at', 'ALTER INDEX public.measurements_at', 'CREATE TRIGGER audit']);
  });

  it('splits a foreign key on a loaded table into NOT VALID and VALIDATE; one on a partitioned table stays whole', () => {
    const [orders, measurements] = plan.foreignKeys;
    expect(orders!.table).toBe(relationKey('public', 'orders'));
    expect(orders!.referenced).toBe(relationKey('public', 'customers'));
    expect(orders!.addNotValid).toMatch(/REFERENCES public\.customers\(id\) NOT VALID$/);
    expect(orders!.validate).toBe('ALTER TABLE public.orders VALIDATE CONSTRAINT orders_customer_id_fkey');
    expect(orders!.constraint).toEqual({ relation: 'public.orders', name: 'orders_customer_id_fkey' });
    expect(measurements!.addNotValid).toBeUndefined();
    expect(measurements!.constraint).toBeUndefined();
    expect(measurements!.original).toMatch(/^ALTER TABLE public\.measurements/);
  });
});

describe('foreignKeyStatement', () => {
  it('names the constraint and its table as the validation needs them, quotes taken off the name only', () => {
    const table = '"Odd Schema"."Mixed ""Case"" Table"';
    const fk = foreignKeyStatement(`ALTER TABLE ONLY ${table}\n    ADD CONSTRAINT "Fk ""1""" FOREIGN KEY ("Id") REFERENCES public.customers(id)`, new Set([relationKey('Odd Schema', 'Mixed "Case" Table')]));
    expect(fk?.constraint).toEqual({ relation: table, name: 'Fk "1"' });
    expect(fk?.validate).toBe(`ALTER TABLE ${table} VALIDATE CONSTRAINT "Fk ""1"""`);
  });

  it('leaves every other statement alone', () => {
    expect(foreignKeyStatement('ALTER TABLE ONLY public.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id)', new Set())).toBeUndefined();
    expect(foreignKeyStatement('CREATE INDEX orders_customer ON public.orders USING btree (customer_id)', new Set())).toBeUndefined();
  });
});
