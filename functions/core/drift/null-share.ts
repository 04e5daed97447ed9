/**
 * The data-quality rule: a feature whose nulls rise sharply, or that becomes all-null, counts as drifted
 * whatever its distribution test says (test `null-share`).
 */
import { formatShare } from '../format.js';
import type { ColumnSignature } from '../signature/types.js';
import { finiteScore } from './finite.js';
import { SIGNIFICANCE_LEVEL } from './registry.js';
import { normalTwoSidedP } from './special.js';
import type { FeatureDrift } from './types.js';
import { plainQuote } from '../text/plain.js';

/** Absolute rise of the null share at which a feature counts as drifted by the data-quality rule. */
export const NULL_SHARE_RISE = 0.2;

/** The data-quality rule, as stated in every result. */
export const NULL_SHARE_RULE =
  `a feature also drifts (test 'null-share') when its null share rises by ≥ ${NULL_SHARE_RISE} absolute and ` +
  `significantly (two-proportion z-test p < ${SIGNIFICANCE_LEVEL}), when it becomes all-null, or when it goes missing ` +
  `(a missing key feature makes the dataset drift)`;

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
 * Apply the data-quality rule to a judged feature: a null share that rose by ≥ NULL_SHARE_RISE and
 * significantly, or a column that became all-null, makes the feature drifted with test `null-share`
 * (score = the rise, threshold = NULL_SHARE_RISE, severity ≥ 1); otherwise the feature is returned unchanged.
 */
export function applyNullShareRule(feature: FeatureDrift, reference: ColumnSignature, current: ColumnSignature): FeatureDrift {
  const before = nullShare(reference);
  const after = nullShare(current);
  const rise = after - before;
  const allNull = current.count > 0 && current.nulls === current.count && reference.nulls < reference.count;
  const significant = twoProportionPValue(reference.nulls, reference.count, current.nulls, current.count) < SIGNIFICANCE_LEVEL;
  if (!allNull && !(rise >= NULL_SHARE_RISE && significant)) return feature;
  const why = allNull
    ? `${plainQuote(feature.name)} is now entirely null (was ${formatShare(before)} null).`
    : `${plainQuote(feature.name)} null share rose from ${formatShare(before)} to ${formatShare(after)} (≥ ${NULL_SHARE_RISE} absolute, two-proportion z-test p < ${SIGNIFICANCE_LEVEL}).`;
  return {
    ...feature,
    drift: true,
    status: 'ok',
    test: 'null-share',
    score: rise,
    threshold: NULL_SHARE_RISE,
    thresholdSource: 'default',
    scoreKind: 'distance',
    severity: Math.max(1, rise / NULL_SHARE_RISE, feature.severity),
    explanation: `${why} Data quality: counted as drift. ${feature.explanation}`,
  };
}
