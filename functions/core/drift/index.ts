/**
 * Drift between a reference signature and a current signature (pure core): the registry of tests, the
 * per-feature test selection, the raw statistics, and `compare`, which turns two signatures into a
 * DriftResult with its verdict and explanation.
 */
export * from './types.js';
export * from './options.js';
export { compare } from './compare.js';
export { MIN_VALUES, FEATURE_RULE, PLOT_CATEGORIES } from './judge-feature.js';
export { NULL_SHARE_RISE, NULL_SHARE_RULE, twoProportionPValue } from './null-share.js';
export { rankFeatures, byDriftThenSeverity } from './rank.js';
export { jsonNumberSchema, encodeNumber, NON_FINITE_TOKENS } from './json-number.js';
export type { DeepReadonly } from './json-number.js';
export { MAX_SCORE, finiteScore, clampFinite } from './finite.js';
export { selectTest, assertTestApplies, testsFor, SELECTION_RULE } from './select-test.js';
export type { TestSelection, KindDefault } from './select-test.js';
export { driftTests, significanceTestByKind, SIGNIFICANCE_LEVEL, featureKinds } from './registry.js';
export type { DriftTest, FeatureKind, ScoreKind, TestedColumn } from './registry.js';
export {
  ksFromSketches,
  wassersteinFromSketches,
  wassersteinNorm,
  sketchResolves,
  meanShiftPValue,
  outOfRangeShare,
  quantilesOf,
  binsOf,
  standardDeviation,
  REPORTED_PERCENTILES,
} from './numeric.js';
export type { KsResult } from './numeric.js';
export { jensenShannon, psi, PSI_EMPTY_SHARE } from './distances.js';
export { chiSquareTest, poolSparseColumns, MIN_EXPECTED } from './chi-square.js';
export type { ChiSquareResult } from './chi-square.js';
export { categoryTable, chiSquareFromSignatures, unseenShare, OTHER_LABEL } from './categorical.js';
export type { CategoryTable } from './categorical.js';
export { kolmogorovSf, chi2Sf, regularizedGammaQ, logGamma, normalTwoSidedP } from './special.js';
export { formatValue, formatScore, formatPValue } from './explain.js';
