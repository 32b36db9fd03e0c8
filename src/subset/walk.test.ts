import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NamedTable } from '../selection/table-selection.js';
import type { Relation, SubsetPlan } from './plan.js';
import { walkSubset, type SubsetEngine } from './walk.js';

/**
 * The walk against an in-memory engine on random schemas (self-references and cycles included): the
 * result must be closed under "references", minimal without children, and honour the children limit.
 */

interface Graph {
  tables: number;
  rows: number;
  /** child table, parent table, and for each child row the parent row it references (or null). */
  relations: Array<{ child: number; parent: number; refs: Array<number | null> }>;
  start: number[];
  passthrough: number | null;
}

const table = (i: number): NamedTable => ({ schema: 's', name: `t${i}` });
const index = (t: NamedTable) => Number(t.name.slice(1));

class MemoryEngine implements SubsetEngine {
  readonly kept = new Map<number, Map<number, { round: number; downward: boolean }>>();
  constructor(private readonly graph: Graph) {
    for (let t = 0; t < graph.tables; t += 1) this.kept.set(t, new Map());
  }
  private relationOf(relation: Relation) {
    return this.graph.relations[Number(relation.name)]!;
  }
  keepStart(_table: NamedTable, _strategy: unknown, room = Infinity): Promise<number> {
    const rows = this.graph.start.slice(0, room);
    for (const row of rows) this.kept.get(0)!.set(row, { round: 0, downward: true });
    return Promise.resolve(rows.length);
  }
  countKept(t: NamedTable): Promise<number> {
    return Promise.resolve(this.kept.get(index(t))!.size);
  }
  keepParents(relation: Relation, round: number, wholeChild: boolean): Promise<number> {
    const { refs } = this.relationOf(relation);
    const childKept = this.kept.get(index(relation.child))!;
    const parentKept = this.kept.get(index(relation.parent))!;
    let added = 0;
    refs.forEach((parentRow, childRow) => {
      const state = childKept.get(childRow);
      if (parentRow === null || !(wholeChild || state?.round === round - 1) || parentKept.has(parentRow)) return;
      parentKept.set(parentRow, { round, downward: false });
      added += 1;
    });
    return Promise.resolve(added);
  }
  keepChildren(relation: Relation, round: number, limit: number, room = Infinity): Promise<number> {
    const { refs } = this.relationOf(relation);
    const childKept = this.kept.get(index(relation.child))!;
    const parentKept = this.kept.get(index(relation.parent))!;
    let added = 0;
    for (const [parentRow, state] of [...parentKept]) {
      if (!state.downward || state.round !== round - 1) continue;
      const children = refs.flatMap((p, childRow) => (p === parentRow ? [childRow] : [])).slice(0, limit);
      for (const childRow of children) {
        const existing = childKept.get(childRow);
        if (existing?.downward || added >= room) continue;
        childKept.set(childRow, { round, downward: true });
        added += 1;
      }
    }
    return Promise.resolve(added);
  }
}

const graphs = fc
  .record({ tables: fc.integer({ min: 1, max: 5 }), rows: fc.integer({ min: 1, max: 12 }) })
  .chain(({ tables, rows }) =>
    fc.record({
      tables: fc.constant(tables),
      rows: fc.constant(rows),
      relations: fc.array(
        fc.record({
          child: fc.integer({ min: 0, max: tables - 1 }),
          parent: fc.integer({ min: 0, max: tables - 1 }),
          refs: fc.array(fc.option(fc.integer({ min: 0, max: rows - 1 }), { nil: null }), { minLength: rows, maxLength: rows }),
        }),
        { maxLength: 7 },
      ),
      start: fc.uniqueArray(fc.integer({ min: 0, max: rows - 1 }), { maxLength: rows }),
      passthrough: fc.option(fc.integer({ min: 1, max: Math.max(1, tables - 1) }), { nil: null }).map((t) => (t !== null && t < tables ? t : null)),
    }),
  );

function planOf(graph: Graph, children?: number, maxRows = new Map<string, number>()): SubsetPlan {
  return {
    targets: [{ table: table(0), strategy: { kind: 'where', condition: 'true' } }],
    maxRows,
    passthrough: graph.passthrough === null ? [] : [table(graph.passthrough)],
    tables: Array.from({ length: graph.tables }, (_, i) => table(i)),
    relations: graph.relations.map((r, i) => ({
      name: String(i),
      virtual: false,
      child: table(r.child),
      childColumns: [{ column: 'ref' }],
      parent: table(r.parent),
      parentColumns: ['id'],
    })),
    ...(children !== undefined && { children: { limitPerParent: children } }),
  };
}

/** Rows present in the dump: kept ones, and all rows of the passthrough table. */
function present(graph: Graph, engine: MemoryEngine, t: number): Set<number> {
  if (t === graph.passthrough) return new Set(Array.from({ length: graph.rows }, (_, i) => i));
  return new Set(engine.kept.get(t)!.keys());
}

describe('walkSubset', () => {
  it('keeps every referenced row (closure) and, without children, nothing else (minimality)', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, async (graph) => {
        const engine = new MemoryEngine(graph);
        await walkSubset(planOf(graph), engine);
        // Closure: every reference from a present row lands on a present row.
        for (const relation of graph.relations) {
          const children = present(graph, engine, relation.child);
          const parents = present(graph, engine, relation.parent);
          for (const childRow of children) {
            const parentRow = relation.refs[childRow];
            if (parentRow !== null && parentRow !== undefined) expect(parents.has(parentRow)).toBe(true);
          }
        }
        // Minimality: exactly the upward closure of the start rows and the passthrough table.
        const expected = new Map<number, Set<number>>();
        for (let t = 0; t < graph.tables; t += 1) expected.set(t, new Set());
        const queue: Array<[number, number]> = graph.start.map((row) => [0, row]);
        if (graph.passthrough !== null) for (let row = 0; row < graph.rows; row += 1) queue.push([graph.passthrough, row]);
        for (const [t, row] of queue) expected.get(t)!.add(row);
        while (queue.length > 0) {
          const [t, row] = queue.shift()!;
          for (const relation of graph.relations) {
            const parentRow = relation.refs[row];
            if (relation.child !== t || parentRow === null || parentRow === undefined) continue;
            if (expected.get(relation.parent)!.has(parentRow)) continue;
            expected.get(relation.parent)!.add(parentRow);
            queue.push([relation.parent, parentRow]);
          }
        }
        for (let t = 0; t < graph.tables; t += 1) {
          expect([...present(graph, engine, t)].sort()).toEqual([...expected.get(t)!].sort());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with children: closed under references, and every downward row has min(limit, n) children per relation', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, fc.integer({ min: 1, max: 3 }), async (graph, limit) => {
        const engine = new MemoryEngine(graph);
        await walkSubset(planOf(graph, limit), engine);
        for (const relation of graph.relations) {
          const children = present(graph, engine, relation.child);
          const parents = present(graph, engine, relation.parent);
          for (const childRow of children) {
            const parentRow = relation.refs[childRow];
            if (parentRow !== null && parentRow !== undefined) expect(parents.has(parentRow)).toBe(true);
          }
          if (relation.parent === graph.passthrough || relation.child === graph.passthrough) continue;
          for (const [parentRow, state] of engine.kept.get(relation.parent)!) {
            if (!state.downward) continue;
            const all = relation.refs.filter((p) => p === parentRow).length;
            const kept = relation.refs.filter((p, childRow) => p === parentRow && children.has(childRow)).length;
            expect(kept).toBeGreaterThanOrEqual(Math.min(limit, all));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not follow a relation back up from rows it found as children through that same relation', async () => {
    // orders ← items → products: the items found as children of kept orders reference kept orders by
    // construction; asking for their orders would scan the items table for nothing.
    const orders = table(0);
    const items = table(1);
    const products = table(2);
    const relation = (name: string, child: NamedTable, parent: NamedTable): Relation => ({ name, virtual: false, child, childColumns: [{ column: 'ref' }], parent, parentColumns: ['id'] });
    const toOrder = relation('items_order', items, orders);
    const toProduct = relation('items_product', items, products);
    const asked: string[] = [];
    const engine: SubsetEngine = {
      keepStart: () => Promise.resolve(10),
      keepParents: (r, round) => {
        asked.push(`parents ${r.name} ${round}`);
        return Promise.resolve(0);
      },
      keepChildren: (r, round) => {
        asked.push(`children ${r.name} ${round}`);
        return Promise.resolve(round === 1 && r === toOrder ? 25 : 0);
      },
      countKept: () => Promise.resolve(0),
    };
    const plan: SubsetPlan = {
      targets: [{ table: orders, strategy: { kind: 'where', condition: 'true' } }],
      maxRows: new Map(),
      passthrough: [],
      tables: [orders, items, products],
      relations: [toOrder, toProduct],
      children: { limitPerParent: 100 },
    };
    await walkSubset(plan, engine);
    expect(asked).toEqual(['children items_order 1', 'parents items_product 2']);
  });

  it('asks for the children of a table only in a round after it gained downward rows, never after it gained parents only', async () => {
    // orders → customers ← audit: customers gain rows as parents of orders; they have no downward row, so
    // asking for their audit children would read the audit table for nothing (and analyse a keep table).
    const orders = table(0);
    const customers = table(1);
    const audit = table(2);
    const relation = (name: string, child: NamedTable, parent: NamedTable): Relation => ({ name, virtual: false, child, childColumns: [{ column: 'ref' }], parent, parentColumns: ['id'] });
    const toCustomer = relation('orders_customer', orders, customers);
    const auditToCustomer = relation('audit_customer', audit, customers);
    const asked: string[] = [];
    const engine: SubsetEngine = {
      keepStart: () => Promise.resolve(10),
      keepParents: (r, round) => {
        asked.push(`parents ${r.name} ${round}`);
        return Promise.resolve(round === 1 && r === toCustomer ? 7 : 0);
      },
      keepChildren: (r, round) => {
        asked.push(`children ${r.name} ${round}`);
        return Promise.resolve(0);
      },
      countKept: () => Promise.resolve(0),
    };
    const plan: SubsetPlan = {
      targets: [{ table: orders, strategy: { kind: 'where', condition: 'true' } }],
      maxRows: new Map(),
      passthrough: [],
      tables: [orders, customers, audit],
      relations: [toCustomer, auditToCustomer],
      children: { limitPerParent: 100 },
    };
    await walkSubset(plan, engine);
    expect(asked).toEqual(['parents orders_customer 1']);
  });

  it('max_rows: a table no relation can force rows into keeps at most its cap; the closure still holds', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 4 }), async (graph, limit, cap) => {
        const capped = graph.relations[0]?.child ?? 0;
        const engine = new MemoryEngine(graph);
        await walkSubset(planOf(graph, limit, new Map([[JSON.stringify(['s', `t${capped}`]), cap]])), engine);
        for (const relation of graph.relations) {
          const children = present(graph, engine, relation.child);
          const parents = present(graph, engine, relation.parent);
          for (const childRow of children) {
            const parentRow = relation.refs[childRow];
            if (parentRow !== null && parentRow !== undefined) expect(parents.has(parentRow)).toBe(true);
          }
        }
        const forced = graph.relations.some((r) => r.parent === capped) || capped === graph.passthrough;
        if (!forced) expect(engine.kept.get(capped)!.size).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 300 },
    );
  });
});
