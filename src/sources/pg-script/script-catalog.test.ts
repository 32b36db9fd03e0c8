import { describe, expect, it } from 'vitest';
import { ScriptCatalog } from './script-catalog.js';
import { statementTarget } from '../../engines/postgres/statement-target.js';

describe('ScriptCatalog', () => {
  it('reads columns and resolves types, domains and enums as the live catalog does', () => {
    const catalog = new ScriptCatalog();
    catalog.read(`CREATE SCHEMA "Odd Schema";`);
    catalog.read(`CREATE DOMAIN public.email_address AS character varying(120)\n\tCONSTRAINT c CHECK (((VALUE)::text ~~ '%@%'::text));`);
    catalog.read(`CREATE TYPE public.status AS ENUM (\n    'active',\n    'it''s'\n);`);
    catalog.read(`-- Name: t\nCREATE TABLE "Odd Schema"."Mixed ""Case"" Table" (
    "Id" integer NOT NULL,
    email public.email_address,
    first_name character varying(40),
    code character(2) NOT NULL,
    status public.status DEFAULT 'active'::public.status NOT NULL,
    tags text[],
    amount numeric(14,4),
    at timestamp with time zone DEFAULT now() NOT NULL,
    label text GENERATED ALWAYS AS ((first_name)::text) STORED,
    CONSTRAINT q CHECK (("Id" > 0))
);`);
    expect([...catalog.schemas].sort()).toEqual(['Odd Schema', 'public']);
    const table = catalog.find({ schema: 'Odd Schema', name: 'Mixed "Case" Table' })!;
    const byName = Object.fromEntries(table.columns.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(['Id', 'email', 'first_name', 'code', 'status', 'tags', 'amount', 'at', 'label']);
    expect(byName.Id).toMatchObject({ baseType: 'int4', generated: false });
    expect(byName.email).toMatchObject({ baseType: 'varchar', maxLength: 120 });
    expect(byName.first_name).toMatchObject({ baseType: 'varchar', maxLength: 40, type: 'character varying(40)' });
    expect(byName.code).toMatchObject({ baseType: 'bpchar', maxLength: 2 });
    expect(byName.status).toMatchObject({ baseType: 'status', enumValues: ['active', "it's"] });
    expect(byName.tags).toMatchObject({ baseType: '_text' });
    expect(byName.at).toMatchObject({ baseType: 'timestamptz' });
    expect(byName.amount).toMatchObject({ baseType: 'numeric', decimal: { precision: 14, scale: 4 } });
    expect(byName.label).toMatchObject({ generated: true });
  });

  it('reads numeric(p,s) through domains, a negative scale included', () => {
    const catalog = new ScriptCatalog();
    catalog.read('CREATE DOMAIN public.price AS numeric(6,2);');
    catalog.read('CREATE TABLE public.p (a public.price, b numeric(2, -3), c numeric(5), d numeric);');
    const byName = Object.fromEntries(catalog.find({ schema: 'public', name: 'p' })!.columns.map((c) => [c.name, c]));
    expect(byName.a!.decimal).toEqual({ precision: 6, scale: 2 });
    expect(byName.b!.decimal).toEqual({ precision: 2, scale: -3 });
    expect(byName.c!.decimal).toEqual({ precision: 5, scale: 0 });
    expect(byName.d!.decimal).toBeUndefined();
  });
});

describe('statementTarget', () => {
  it('finds the table of the DDL pg_dump writes about one table', () => {
    const t = (sql: string) => statementTarget(sql).tables.map((x) => `${x.schema}.${x.name}`);
    expect(t('ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT 1;')).toEqual(['public.audit_log']);
    expect(t('ALTER SEQUENCE public.s OWNED BY public.audit_log.id;')).toEqual(['public.audit_log']);
    expect(t('CREATE UNIQUE INDEX i ON ONLY public.audit_log USING btree (id);')).toEqual(['public.audit_log']);
    expect(t('COMMENT ON COLUMN public.audit_log.action IS \'x\';')).toEqual(['public.audit_log']);
    expect(t('GRANT SELECT ON TABLE public.audit_log TO reader;')).toEqual(['public.audit_log']);
    expect(t('GRANT USAGE ON SCHEMA public TO reader;')).toEqual([]);
    expect(t('CREATE TRIGGER x AFTER UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION f();')).toEqual(['public.audit_log']);
    expect(statementTarget('ALTER TABLE ONLY public.a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES public.b(id);').references).toEqual([{ schema: 'public', name: 'b' }]);
  });
});
