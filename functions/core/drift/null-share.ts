/**
 * The null-share data-quality rule: a feature whose nulls rise sharply, or that becomes all-null, is a
 * data-quality incident (a broken pipeline), not drift; the feature keeps its own distribution result.
 */
import { formatShare } from '../format.js';
import type { ColumnSignature } from '../signature/types.js';
import { formatPValue } from './explain.js';
import { finiteScore } from './finite.js';
import { SIGNIFICANCE_LEVEL } from './registry.js';
import { normalTwoSidedP } from './special.js';
import type { Incident } from './types.js';
import { plainQuote } from '../text/plain.js';

/** Absolute rise of the null share that makes a data-quality incident (with significance). */
export const NULL_SHARE_RISE = 0.2;

/** Longest name quoted in an incident sentence (as in explain.ts). */
const NAME_MAX = 80;

/** The null-share rule, as stated in every result. */
export const NULL_SHARE_RULE =
  `a column's null share rising by ≥ ${NULL_SHARE_RISE} absolute and significantly (two-proportion z-test ` +
  `p < ${SIGNIFICANCE_LEVEL}) is a null surge, a column that becomes entirely null is all-null`;

/** Share of a column's rows that are null (0 for an empty column). */
export function nullShare(column: { readonly count: number; readonly nulls: number }): number {
  return column.count > 0 ? column.nulls / column.count : 0;
}

/** Two-sided p-value of a two-proportion z-test (pooled), 1 when it cannot be computed. */
export function twoProportionPValue(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const diff = x2 / n2 - x1 / n1;
  if (se === 0) return diff === 0 ? 1 : 0;
  return finiteScore(normalTwoSidedP(diff / se), 'p-value');
}

/**
 * The null-share incident of a column, or null: `all-null` when every current row is null and the reference
 * had values; `null-surge` when the null share rose by ≥ NULL_SHARE_RISE and significantly.
 * @example nullShareIncident('amount', reference.columns.amount, current.columns.amount)?.detail
 */
export function nullShareIncident(name: string, reference: ColumnSignature, current: ColumnSignature): Incident | null {
  const before = nullShare(reference);
  const after = nullShare(current);
  const feature = plainQuote(name, NAME_MAX);
  if (current.count > 0 && current.nulls === current.count && reference.nulls < reference.count) {
    return { kind: 'all-null', feature: name, detail: `${feature} is entirely null in the current batch (was ${formatShare(before)} null).` };
  }
  const p = twoProportionPValue(reference.nulls, reference.count, current.nulls, current.count);
  if (after - before < NULL_SHARE_RISE || !(p < SIGNIFICANCE_LEVEL)) return null;
  return {
    kind: 'null-surge',
    feature: name,
    detail: `${feature} null share rose from ${formatShare(before)} to ${formatShare(after)} (two-proportion z-test ${formatPValue(p)}).`,
  };
}
