import type { Config } from '../../config/load.js';
import { errorMessage, ReplibyteError } from '../../errors.js';
import { unquote } from '../../selection/table-selection.js';
import { parseFieldPath } from '../../transformers/field-path.js';
import { planTransforms, tableKey, type TransformPlan } from '../../transformers/plan.js';
import type { TransformerRegistry } from '../../transformers/registry.js';
import type { ColumnInfo } from '../../transformers/transformer.js';
import { DocumentTransform } from '../../engines/mongodb/document-transform.js';

/**
 * The transformer entries of the config checked against the collections (database = database,
 * table = collection, column = field path). Collections have no declared columns, so each configured
 * path is taken as a string column of its collection; whether it matches anything is only known while
 * reading, and reported then (a warning with the count).
 */
export function planDocumentTransforms(
  config: Config,
  collections: Array<{ database: string; name: string }>,
  registry: TransformerRegistry,
  salt: Buffer,
): { plan: TransformPlan; forCollection(database: string, name: string): DocumentTransform | undefined } {
  const pathsOf = new Map<string, string[]>();
  for (const entry of config.source?.transformers ?? []) {
    const key = tableKey(unquote(entry.database), unquote(entry.table));
    const paths = pathsOf.get(key) ?? [];
    for (const column of entry.columns) {
      const path = unquote(column.name);
      try {
        parseFieldPath(path);
      } catch (error) {
        throw new ReplibyteError(`source.transformers: ${entry.database}.${entry.table}: ${errorMessage(error)}`);
      }
      if (!paths.includes(path)) paths.push(path);
    }
    pathsOf.set(key, paths);
  }
  const tables = collections.map((collection) => ({
    schema: collection.database,
    name: collection.name,
    documents: true,
    columns: (pathsOf.get(tableKey(collection.database, collection.name)) ?? []).map(
      (path): ColumnInfo => ({ schema: collection.database, table: collection.name, name: path, type: 'string', baseType: 'text' }),
    ),
  }));
  const plan = planTransforms(config, tables, registry, salt, (table) => table.columns.map((column) => column.name));
  return {
    plan,
    forCollection(database, name) {
      const key = tableKey(database, name);
      const transforms = plan.tables.get(key)?.transforms ?? [];
      if (transforms.length === 0) return undefined;
      return new DocumentTransform(pathsOf.get(key) ?? [], transforms, `collection ${database}.${name}`);
    },
  };
}
