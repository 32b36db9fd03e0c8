import { BSON, type Document } from 'mongodb';
import type { Config } from '../../config/load.js';
import { ReplibyteError } from '../../errors.js';
import { unquote } from '../../selection/table-selection.js';

/**
 * `database_subset` for MongoDB: a filter on the start collection only. `random` keeps each document
 * with probability `percent`/100 (`$rand`, MongoDB 4.4.2+); `query` keeps the documents that match
 * `strategy_options.query` (a filter in Extended JSON). There are no foreign keys: every other collection
 * is dumped whole, so references from or to the start collection may point at documents left out.
 */
export function subsetFilter(
  config: Config,
  database: string,
  collections: Array<{ name: string }>,
): { collection: string; filter: Document } | undefined {
  const subset = config.source?.database_subset;
  if (!subset) return undefined;
  if (subset.targets || subset.max_rows || subset.include || subset.table === undefined || subset.database === undefined || subset.strategy_name === undefined) {
    // Without foreign keys there is no closure to keep several starts, caps or examples consistent with.
    throw new ReplibyteError(
      'source.database_subset on MongoDB takes the single-collection form only (database, table, strategy_name): targets, max_rows and include need foreign keys to follow',
    );
  }
  const collection = unquote(subset.table);
  if (unquote(subset.database) !== database || !collections.some((c) => c.name === collection)) {
    throw new ReplibyteError(`source.database_subset: no collection ${subset.database}.${subset.table} in the source database ${database}`);
  }
  const options = subset.strategy_options ?? {};
  if (subset.strategy_name === 'random') {
    const percent = Number(options.percent);
    if (!Number.isFinite(percent) || percent < 0) throw new ReplibyteError('source.database_subset.strategy_options.percent must be a number from 0 to 100');
    if (percent >= 100) return { collection, filter: {} };
    return { collection, filter: { $expr: { $lt: [{ $rand: {} }, percent / 100] } } };
  }
  if (subset.strategy_name === 'query') {
    if (typeof options.query !== 'object' || options.query === null) {
      throw new ReplibyteError('source.database_subset.strategy_options.query must be a filter document');
    }
    return { collection, filter: BSON.EJSON.deserialize(options.query as Document, { relaxed: false }) };
  }
  throw new ReplibyteError(`source.database_subset.strategy_name: ${subset.strategy_name} is not a MongoDB strategy (use random or query)`);
}
