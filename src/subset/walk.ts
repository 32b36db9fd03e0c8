import type { NamedTable } from '../selection/table-selection.js';
import { sameTable, subsetTableKey, type Relation, type SubsetPlan, type SubsetStrategy } from './plan.js';

/**
 * What a database must do for the walk: keep the keys of chosen rows (in its own snapshot, e.g. a
 * temporary table) and answer set-at-a-time questions about them. Every method returns how many keys it
 * added. A key is "kept" in round r; the walk asks each relation about the keys of round r - 1 only, so a
 * key is followed once per relation (semi-naive evaluation of the fixed point).
 */
export interface SubsetEngine {
  /**
   * Keeps the start rows chosen by the strategy, as round 0 (and as "downward": their children may
   * follow); at most `room` of them when the table has a `max_rows` (the strategy's first ones).
   */
  keepStart(table: NamedTable, strategy: SubsetStrategy, room?: number): Promise<number>;
  /**
   * Keeps, in `round`, every row of `relation.parent` referenced by a row of `relation.child` kept in
   * round - 1 (or by any row of the child when `wholeChild`: a passthrough table). Rows with a NULL in the
   * referencing columns reference nothing.
   */
  keepParents(relation: Relation, round: number, wholeChild: boolean): Promise<number>;
  /**
   * Keeps, in `round`, at most `limitPerParent` rows of `relation.child` referencing each "downward" row of
   * `relation.parent` kept in round - 1, marked downward themselves; at most `room` in all when the
   * child table has a `max_rows` (each parent's first child before any parent's second).
   */
  keepChildren(relation: Relation, round: number, limitPerParent: number, room?: number): Promise<number>;
  /** The keys kept so far for a table (to know the room a `max_rows` leaves). */
  countKept(table: NamedTable): Promise<number>;
}

export interface WalkResult {
  rounds: number;
}

/**
 * The fixed point: starting from the strategy's rows, keep adding the parents every kept row references
 * (through every relation, so composite keys, self-references and cycles included) and, when asked, the
 * children of rows reached downward, until a whole round adds nothing. It ends because keys are only ever
 * added, each at most once, and the tables are finite (a row turns "downward" at most once too).
 *
 * Children are followed only from the start rows and the children found from them, never from a row
 * that was pulled in because something references it: following children of parents would walk from an
 * order to its customer to all of the customer's orders to their products to every order of the product,
 * and a 1% slice would become the whole database.
 */
export async function walkSubset(plan: SubsetPlan, engine: SubsetEngine): Promise<WalkResult> {
  const isPassthrough = (table: NamedTable) => plan.passthrough.some((t) => sameTable(t, table));
  // What made each table gain keys in the last round: a relation whose source table gained none has
  // nothing new to follow (each question is about the last round's keys only), so it is not asked at
  // all. On a real schema most relations are idle in most rounds, and asking costs a scan of a large table.
  // A table that gained keys only as children through one relation references, through that relation,
  // only parents already kept (it was found from them): following it back up would add nothing and
  // cost a scan of the child table, the largest one of a subset as a rule ('children' below).
  let grew = new Map<string, Set<Relation | 'other'>>();
  const note = (into: Map<string, Set<Relation | 'other'>>, table: NamedTable, via: Relation | 'other') => {
    const key = subsetTableKey(table);
    into.set(key, (into.get(key) ?? new Set()).add(via));
  };
  // A cap (max_rows) limits the rows a table takes by choice (start rows, children), never the parents a
  // kept row needs: those are kept whatever the cap, and the report says when it could not hold.
  const room = async (table: NamedTable): Promise<number | undefined> => {
    const cap = plan.maxRows.get(subsetTableKey(table));
    return cap === undefined ? undefined : Math.max(0, cap - (await engine.countKept(table)));
  };
  // The tables that gained downward rows (start rows, children) in the last round: only their children are
  // asked for. A table that only gained parents has no row whose children may follow.
  let grewDownward = new Set<string>();
  for (const target of plan.targets) {
    const left = await room(target.table);
    if (left !== 0 && (await engine.keepStart(target.table, target.strategy, left)) > 0) {
      note(grew, target.table, 'other');
      grewDownward.add(subsetTableKey(target.table));
    }
  }
  let round = 1;
  for (;;) {
    const growing = new Map<string, Set<Relation | 'other'>>();
    const growingDownward = new Set<string>();
    for (const relation of plan.relations) {
      if (isPassthrough(relation.parent)) continue; // all of its rows are there already
      if (isPassthrough(relation.child)) {
        // A passthrough table never grows: its references are followed once.
        if (round === 1 && (await engine.keepParents(relation, round, true)) > 0) note(growing, relation.parent, 'other');
        continue;
      }
      const via = grew.get(subsetTableKey(relation.child));
      const onlyAsItsChildren = via?.size === 1 && via.has(relation);
      if (via && !onlyAsItsChildren && (await engine.keepParents(relation, round, false)) > 0) note(growing, relation.parent, 'other');
    }
    if (plan.children) {
      for (const relation of plan.relations) {
        if (isPassthrough(relation.parent) || isPassthrough(relation.child)) continue;
        if (!grewDownward.has(subsetTableKey(relation.parent))) continue;
        const left = await room(relation.child);
        if (left !== 0 && (await engine.keepChildren(relation, round, plan.children.limitPerParent, left)) > 0) {
          note(growing, relation.child, relation);
          growingDownward.add(subsetTableKey(relation.child));
        }
      }
    }
    if (growing.size === 0) return { rounds: round };
    grew = growing;
    grewDownward = growingDownward;
    round += 1;
  }
}
