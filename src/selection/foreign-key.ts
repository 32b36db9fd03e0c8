/**
 * A foreign key as every engine's catalog reads it: `columns[i]` of `schema.table` references
 * `referencedColumns[i]` of `referencedSchema.referencedTable` (composite keys keep their order).
 * The skip checks, the subset walk and the transformer plan all follow these.
 */
export interface ForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
}
