/**
 * Drift between a reference signature and a current signature (pure core): the registry of tests, the
 * per-feature test selection, the raw statistics, the data-quality incidents, the action classes, and
 * `compare`, which turns two signatures into a DriftResult with its action, verdict and explanation.
 */
export * from './types.js';
export * from './options.js';
export { compare } from './compare.js';
export { MIN_VALUES, FEATURE_RULE, PLOT_CATEGORIES } from './judge-feature.js';
export { NULL_SHARE_RISE, NULL_SHARE_RULE, nullShareIncident, twoProportionPValue } from './null-share.js';
export { decideAction, actionRuleSentence, ACTION_LABEL, MATERIAL_WASSERSTEIN_SD, MATERIAL_JS_DISTANCE, MATERIAL_UNSEEN_SHARE } from './action.js';
export type { ActionFeature, ActionDecision, ActionTrigger } from './action.js';
export { ACTION_BUDGET, featureBudget, materialBar, budgetDiscoveries } from './budget.js';
export type { MaterialBar } from './budget.js';
export {
  DATA_QUALITY_RULE,
  OUT_OF_RANGE_JUMP_SHARE,
  columnIncidents,
  orderIncidents,
  outOfRangeIncident,
  rowCollapseIncident,
  schemaIncidents,
} from './incidents.js';
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
  numericStats,
  numericJensenShannon,
  resolutionOf,
  exactQuantile,
} from './numeric.js';
export type { KsResult, NumericResolution, NumericStats } from './numeric.js';
export {
  benjaminiHochberg,
  wassersteinNoiseFloor,
  jensenShannonNoiseFloor,
  psiNoiseFloor,
  minimumDetectableShift,
  minimumDetectableJensenShannon,
  NOISE_BUDGET,
} from './noise.js';
export { jensenShannon, psi, PSI_EMPTY_SHARE } from './distances.js';
export { chiSquareTest, poolSparseColumns, MIN_EXPECTED } from './chi-square.js';
export type { ChiSquareResult } from './chi-square.js';
export { categoryTable, chiSquareFromSignatures, unseenShare, OTHER_LABEL } from './categorical.js';
export type { CategoryTable } from './categorical.js';
export { kolmogorovSf, chi2Sf, chi2Isf, normalIsf, regularizedGammaQ, logGamma, normalTwoSidedP } from './special.js';
export { formatValue, formatScore, formatPValue } from './explain.js';
