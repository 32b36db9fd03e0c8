import type { NamedTable } from './table-selection.js';

/**
 * A table with the tables it descends from: the partitioned table a partition belongs to, the tables an
 * inheritance child `INHERITS`. A partition of a partition has its partitioned parent as parent, and so on.
 */
export interface TreeTable extends NamedTable {
  /** Direct parents, in declaration order (a partition has one; an inheritance child may have several). */
  parents?: readonly NamedTable[];
}

function key(table: NamedTable): string {
  return JSON.stringify([table.schema, table.name]);
}

/**
 * The ancestors of every table, nearest first: parents, then their parents (breadth-first, each once).
 * What is named on a table reaches its partitions, sub-partitions and inheritance children, whose rows
 * are read (and looked up) under their own names: without this, a transformer or a skip named on a
 * partitioned table would let every row of its partitions through.
 */
export function tableAncestry(tables: readonly TreeTable[]): (table: NamedTable) => NamedTable[] {
  const byKey = new Map(tables.map((table) => [key(table), table]));
  const cache = new Map<string, NamedTable[]>();
  return (table) => {
    const start = key(table);
    const cached = cache.get(start);
    if (cached) return cached;
    const found: NamedTable[] = [];
    const seen = new Set<string>([start]);
    let level = [...(byKey.get(start)?.parents ?? [])];
    while (level.length > 0) {
      const next: NamedTable[] = [];
      for (const parent of level) {
        const parentKey = key(parent);
        if (seen.has(parentKey)) continue;
        seen.add(parentKey);
        found.push({ schema: parent.schema, name: parent.name });
        next.push(...(byKey.get(parentKey)?.parents ?? []));
      }
      level = next;
    }
    cache.set(start, found);
    return found;
  };
}
