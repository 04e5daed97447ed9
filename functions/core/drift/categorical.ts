import type { CategoricalColumnSignature } from '../signature/types.js';
import { chiSquareTest, poolSparseColumns, type ChiSquareResult } from './chi-square.js';
import { jensenShannon, psi } from './distances.js';

/**
 * Categorical statistics from two top-k signatures.
 *
 * A signature knows a category's count when the category is in its `top`, or knows it is 0 when the
 * category is absent and `other` is 0 (the top holds every value seen). The comparison table has one
 * column per category whose count is known on both sides, plus one "other" column holding everything
 * else on each side; so every cell is a true count and the table stays consistent however the two
 * top-k lists overlap.
 */

/** Label of the pooled column in tables and plots. */
export const OTHER_LABEL = '(other)';

export interface CategoryTable {
  /** Category labels; the last one is OTHER_LABEL. */
  readonly labels: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  /** Current values whose category the reference provably never saw, by category. */
  readonly unseen: readonly (readonly [string, number])[];
}

function countsOf(signature: CategoricalColumnSignature): Map<string, number> {
  return new Map(signature.top.map(([value, count]) => [value, count] as const));
}

/** Count of `value` in a signature when known (in top, or provably 0), otherwise undefined. */
function knownCount(counts: Map<string, number>, signature: CategoricalColumnSignature, value: string): number | undefined {
  const c = counts.get(value);
  if (c !== undefined) return c;
  return signature.other === 0 ? 0 : undefined;
}

/**
 * The 2×k table of reference vs current counts over the categories known on both sides plus "(other)",
 * sorted by label.
 */
export function categoryTable(reference: CategoricalColumnSignature, current: CategoricalColumnSignature): CategoryTable {
  const refCounts = countsOf(reference);
  const curCounts = countsOf(current);
  const labels = [...new Set([...refCounts.keys(), ...curCounts.keys()])].sort();
  const outLabels: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let refOther = reference.other;
  let curOther = current.other;
  const unseen: [string, number][] = [];
  for (const label of labels) {
    const r = knownCount(refCounts, reference, label);
    const c = knownCount(curCounts, current, label);
    if (r !== undefined && c !== undefined) {
      outLabels.push(label);
      ref.push(r);
      cur.push(c);
      if (r === 0 && c > 0) unseen.push([label, c]);
    } else {
      // Unknown on one side: its known count joins that side's "other" so both rows stay true counts.
      if (r !== undefined) refOther += r;
      if (c !== undefined) curOther += c;
    }
  }
  outLabels.push(OTHER_LABEL);
  ref.push(refOther);
  cur.push(curOther);
  unseen.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { labels: outLabels, reference: ref, current: cur, unseen };
}

/** Non-null values of a categorical column. */
export function nonNullCount(signature: CategoricalColumnSignature): number {
  return signature.count - signature.nulls;
}

/** Jensen–Shannon distance (base 2) between two categorical columns over their category table. */
export function categoricalJensenShannon(reference: CategoricalColumnSignature, current: CategoricalColumnSignature): number {
  const table = categoryTable(reference, current);
  return jensenShannon(table.reference, table.current);
}

/** PSI between two categorical columns over their category table. */
export function categoricalPsi(reference: CategoricalColumnSignature, current: CategoricalColumnSignature): number {
  const table = categoryTable(reference, current);
  return psi(table.reference, table.current);
}

/**
 * Chi-square test of homogeneity between two categorical columns, after pooling categories whose expected
 * count is below 5 (so the chi-square approximation holds even for 200 categories in 300 rows).
 * @example chiSquareFromSignatures(reference, current).pValue
 */
export function chiSquareFromSignatures(reference: CategoricalColumnSignature, current: CategoricalColumnSignature): ChiSquareResult {
  const table = categoryTable(reference, current);
  const pooled = poolSparseColumns(table.reference, table.current);
  return chiSquareTest(pooled.reference, pooled.current);
}

/** Share of current non-null values in categories the reference provably never saw. */
export function unseenShare(reference: CategoricalColumnSignature, current: CategoricalColumnSignature): number {
  const n = nonNullCount(current);
  if (n === 0) return 0;
  const table = categoryTable(reference, current);
  return table.unseen.reduce((sum, [, c]) => sum + c, 0) / n;
}
