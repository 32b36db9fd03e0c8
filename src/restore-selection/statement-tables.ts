/**
 * What a schema statement of a dump is about, engine-neutral: the restore's table filter keeps or drops
 * it by these names (docs/decisions/0024-restore-modes.md).
 */
export interface DumpTable {
  schema: string;
  name: string;
}

export interface StatementTables {
  /** Tables the statement belongs to: it goes when one of them is left out. */
  tables: DumpTable[];
  /** A table the statement creates (CREATE TABLE), so that the dump's tables are known. */
  creates?: DumpTable;
  /** Tables its foreign keys reference. */
  references: DumpTable[];
  /** A view it creates, with the tables and views its query names (a view on a left-out table goes too). */
  view?: { name: DumpTable; reads: DumpTable[] };
  /** Indexes the statement creates (their later statements follow their table) or is about. */
  createsIndex?: DumpTable;
  indexes: DumpTable[];
  /** `ALTER SEQUENCE s OWNED BY t.c` / an identity's `SEQUENCE NAME s`: the table a sequence belongs to. */
  ownsSequence?: { sequence: DumpTable; table: DumpTable };
  /** `setval('s', …)`: the sequence whose value it sets. */
  setsSequence?: DumpTable;
  /** `CREATE SEQUENCE s`: it goes with the table that owns `s` (pg_dump writes OWNED BY later). */
  createsSequence?: DumpTable;
}

export function tableKey(table: DumpTable): string {
  return JSON.stringify([table.schema, table.name]);
}

export function tableLabel(table: DumpTable): string {
  return table.schema ? `${table.schema}.${table.name}` : table.name;
}
