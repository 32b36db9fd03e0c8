/**
 * "Did you mean" for a misspelt key or name: the closest candidate by edit distance, when it is close
 * enough to be the name meant. The distance counts a swap of two neighbouring letters as one edit
 * (`frist` → `first`), the commonest typo; see docs/decisions/0023-first-hour-choices.md.
 */
export function closestName(typed: string, candidates: readonly string[]): string | undefined {
  const wanted = typed.toLowerCase();
  // Short names get one edit, longer ones two: `skip` must not suggest `keep`.
  const allowed = wanted.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(wanted, name.toLowerCase());
    if (distance <= allowed && distance < (best?.distance ?? Infinity)) best = { name, distance };
  }
  return best?.name;
}

/** ` (did you mean "first-name"?)`, or '' when nothing is close. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const close = closestName(typed, candidates);
  return close === undefined || close === typed ? '' : ` (did you mean "${close}"?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = distance;
    }
  }
  return rows[a.length]![b.length]!;
}
