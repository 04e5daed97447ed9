/**
 * One feature judged: its test, score, significance, verdict and severity, with the figures and the
 * sentence that explain them. compare.ts applies this to every tested column and decides the dataset.
 */
import type { CategoricalColumnSignature, NumericColumnSignature } from '../signature/types.js';
import { OTHER_LABEL, categoryTable, chiSquareFromSignatures, nonNullCount } from './categorical.js';
import { jensenShannon, psi } from './distances.js';
import { explainCategorical, explainInsufficient, explainNumeric } from './explain.js';
import { clampFinite, finiteScore } from './finite.js';
import { MATERIAL_JS_DISTANCE, MATERIAL_WASSERSTEIN_SD, type ActionFeature } from './action.js';
import { featureBudget, materialBar, type MaterialBar } from './budget.js';
import { nullShare, twoProportionPValue } from './null-share.js';
import { binsOf, meanShiftPValue, numericJensenShannon, numericStats, outOfRangeShare, quantilesOf } from './numeric.js';
import { jensenShannonNoiseFloor, minimumDetectableJensenShannon, minimumDetectableShift, psiNoiseFloor, wassersteinNoiseFloor } from './noise.js';
import type { CompareOptions } from './options.js';
import { driftTests, SIGNIFICANCE_LEVEL, significanceTestByKind, type FeatureKind, type TestedColumn } from './registry.js';
import { selectTest, type TestSelection } from './select-test.js';
import type { CategoricalFeatureDrift, Detectable, NumericFeatureDrift } from './types.js';
import { plainQuote } from '../text/plain.js';

/** Fewest non-null values on each side for a feature to be judged. */
export const MIN_VALUES = 30;

/** Number of categories kept for plots. */
export const PLOT_CATEGORIES = 20;

/** The per-feature rule, as stated in every result. */
export const FEATURE_RULE =
  `a feature drifts when its distance score reaches its threshold, never below the distance sampling noise alone ` +
  `exceeds 1% of the time at these sizes, AND the change is significant, Benjamini–Hochberg adjusted across the judged features ` +
  `(numeric: KS p < ${SIGNIFICANCE_LEVEL}, or a test of means where the sketch cannot resolve the column; ` +
  `categorical: chi-square p < ${SIGNIFICANCE_LEVEL}, sparse categories pooled); ` +
  `a p-value test (ks, chi2) decides alone; features with fewer than ${MIN_VALUES} values are not judged`;

/** Severity of a feature that was not judged: below every judged one. */
const NOT_JUDGED = -1;

/**
 * How far a feature is past its decision, 1 = at the boundary: a distance test gives
 * min(score / threshold, ln p / ln 0.05) so that it reaches 1 exactly when both conditions of the rule hold;
 * a p-value test gives ln p / ln threshold.
 */
function severityOf(selection: TestSelection, score: number, significanceP: number): number {
  // p = 0 (underflow) is read as the smallest positive double, so the ratio stays finite for JSON.
  const logRatio = (p: number, level: number): number => (p >= 1 ? 0 : Math.log(Math.max(p, Number.MIN_VALUE)) / Math.log(level));
  if (selection.scoreKind === 'p-value') return finiteScore(logRatio(score, selection.threshold), 'distance');
  return finiteScore(Math.min(score / selection.threshold, logRatio(significanceP, SIGNIFICANCE_LEVEL)), 'distance');
}

/**
 * What the other features tell one feature's judgement: the gate's Benjamini–Hochberg adjusted p-value and
 * the number of judged features (compare computes both; a feature judged alone uses its own p and 1).
 */
export interface Family {
  readonly adjustedP?: number;
  readonly size: number;
}

/** The gate's p-value of a pair (numeric: KS from the finest view, or a test of means where the sketch is coarse; categorical: chi²). */
export function gatePValue(reference: TestedColumn, current: TestedColumn): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const stats = numericStats(reference, current);
    return finiteScore(stats.resolution === 'coarse-sketch' ? meanShiftPValue(reference, current) : stats.ks.pValue, 'p-value');
  }
  return finiteScore(significanceOf('categorical', reference, current), 'p-value');
}

/** The selection with its threshold raised to the noise floor when the floor lies above it. */
function withFloor(selection: TestSelection, floor: number | undefined): TestSelection {
  if (floor === undefined || !(floor > selection.threshold)) return selection;
  return { ...selection, threshold: floor, thresholdSource: 'noise-floor' };
}

/** The shared decision: reads only the score kind, never the test's name. */
function decide(selection: TestSelection, score: number, significanceP: number): boolean {
  if (selection.scoreKind === 'p-value') return score < selection.threshold;
  return score >= selection.threshold && significanceP < SIGNIFICANCE_LEVEL;
}

/** The fields every judged feature shares: the decision, its severity, the test and where its threshold came from. */
function judgement(
  name: string,
  selection: TestSelection,
  score: number,
  significanceP: number,
  insufficient: boolean,
  columns: { reference: { count: number; nulls: number }; current: { count: number; nulls: number } },
  count: { reference: number; current: number },
) {
  return {
    name,
    drift: !insufficient && decide(selection, score, significanceP),
    status: insufficient ? ('insufficient-data' as const) : ('ok' as const),
    test: selection.test,
    score,
    threshold: selection.threshold,
    thresholdSource: selection.thresholdSource,
    scoreKind: selection.scoreKind,
    severity: insufficient ? NOT_JUDGED : severityOf(selection, score, significanceP),
    nullShare: { reference: nullShare(columns.reference), current: nullShare(columns.current) },
    count,
  };
}

/** The p-value of the kind's gating test (registry entry named by `significanceTestByKind`). */
function significanceOf(kind: FeatureKind, reference: TestedColumn, current: TestedColumn): number {
  return driftTests[significanceTestByKind[kind]].fn(reference, current);
}

/**
 * A kind override is applied when signatures are built (the column's role); compare can only test the kind
 * the signatures hold, so a mismatch is said, not hidden.
 */
function kindNote(name: string, kind: FeatureKind, options: CompareOptions): string {
  const wanted = options.overrides[name]?.kind;
  if (wanted === undefined || wanted === kind) return '';
  return ` (Override kind '${wanted}' not applied: the signatures summarise ${plainQuote(name)} as ${kind}; rebuild the reference with that role.)`;
}

/** [min, max] made finite for JSON, null kept for a column without finite values. */
export function finiteRange(min: number | null, max: number | null): [number | null, number | null] {
  return [min === null ? null : clampFinite(min), max === null ? null : clampFinite(max)];
}

/** A judged feature and what the action rule reads of it (action.ts), including the gate's p-value, which the result does not store. */
export interface Judged<F> {
  readonly feature: F;
  readonly evidence: ActionFeature;
}

/** The fields of a judged feature the action rule reads as they are. */
function evidenceOf(f: NumericFeatureDrift | CategoricalFeatureDrift): Pick<ActionFeature, 'name' | 'kind' | 'status' | 'drift' | 'severity'> {
  return { name: f.name, kind: f.kind, status: f.status, drift: f.drift, severity: f.severity };
}

/** The level a feature's own rule flags at (its significance gate, Bonferroni across the judged features). */
function flagLevel(family: Family): number {
  return SIGNIFICANCE_LEVEL / Math.max(1, family.size);
}

/** The level a feature moving alone must reach to make the action: its share of the false-action budget (budget.ts). */
function actionLevel(family: Family): number {
  return Math.min(flagLevel(family), featureBudget(family.size));
}

/**
 * Whether this feature drifting alone meets the dataset rule (a key feature, or, unweighted, 1 / judged ≥ share):
 * then its flag and the budget decide the action and the material bar does not apply. With importances the
 * bar is assumed (the other features' weights are not known here), so the figure errs on the high side.
 */
function alone(name: string, options: CompareOptions, family: Family): boolean {
  if (options.datasetRule.keyFeatures.includes(name)) return true;
  return options.featureImportance === undefined && 1 / Math.max(1, family.size) >= options.datasetRule.share;
}

/**
 * The honest minimum detectable effect (issue 11): the smallest effect that would change the action to `drift`,
 * max(flag MDE at the budget's level, the material bar unless the feature alone meets the dataset rule), and
 * the smaller flag MDE beside it when it differs (a shift between the two is flagged, `watch`, but does not act).
 * Both figures are in the kind's effect unit: σ of location shift (= Wasserstein / σ) or Jensen–Shannon distance.
 * @example actionDetectable(0.31, 0.36, { value: 0.49, source: 'noise-floor' }, false) // { effect: 0.49, flagged: 0.31 }
 */
export function actionDetectable(flagged: number, atBudget: number, bar: MaterialBar, meetsRuleAlone: boolean): { effect: number; flagged?: number } {
  const flag = finiteScore(flagged, 'distance');
  const act = finiteScore(Math.max(flag, atBudget, meetsRuleAlone ? 0 : bar.value), 'distance');
  return act > flag ? { effect: act, flagged: flag } : { effect: act };
}

/** Judge a numeric feature (data-quality incidents are found after, by compare). */
export function judgeNumeric(
  name: string,
  reference: NumericColumnSignature,
  current: NumericColumnSignature,
  options: CompareOptions,
  family: Family = { size: 1 },
): Judged<NumericFeatureDrift> {
  const selected = selectTest(reference, options.overrides[name], options.defaults.numeric, name);
  const stats = numericStats(reference, current);
  const bins = binsOf(reference, current);
  const metrics = {
    ksStat: finiteScore(stats.ks.statistic, 'distance'),
    ksPValue: finiteScore(stats.ks.pValue, 'p-value'),
    wassersteinNorm: stats.wassersteinNorm,
    psi: finiteScore(psi(bins.reference, bins.current), 'distance'),
    jsDistance: finiteScore(numericJensenShannon(reference, current), 'distance'),
  };
  const n = reference.finite;
  const m = current.finite;
  const jsCells = reference.exact !== undefined && current.exact !== undefined ? new Set([...reference.exact.values, ...current.exact.values]).size : bins.edges.length + 1;
  const floor =
    selected.scoreKind === 'p-value' ? undefined
    : selected.test === 'wasserstein' ? wassersteinNoiseFloor(reference, n, m)
    : selected.test === 'jensenshannon' ? jensenShannonNoiseFloor(jsCells, n, m)
    : psiNoiseFloor(bins.edges.length + 1, n, m);
  const selection = withFloor(selected, floor);
  const score = finiteScore(driftTests[selection.test].fn(reference, current), selection.scoreKind);
  // Where the sketch cannot resolve the column (see sketchResolves), KS on it is blind: gate on the exact means.
  const resolved = stats.resolution !== 'coarse-sketch';
  const significanceP = gatePValue(reference, current);
  const gateP = selection.scoreKind === 'distance' ? finiteScore(family.adjustedP ?? significanceP, 'p-value') : significanceP;
  const insufficient = n < MIN_VALUES || m < MIN_VALUES;
  const share = (counts: number[]): number[] => {
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (total > 0 ? c / total : 0));
  };
  // The action's bar (budget.ts): the documented bar, raised to the noise floor at this feature's share of the budget.
  const bar = materialBar(MATERIAL_WASSERSTEIN_SD, insufficient ? undefined : wassersteinNoiseFloor(reference, n, m, featureBudget(family.size)));
  const mdeAt = (level: number): number =>
    minimumDetectableShift(reference, n, m, { threshold: selection.test === 'wasserstein' ? selection.threshold : 0, level, gate: resolved ? 'ks' : 'means' });
  // A location shift of d σ moves Wasserstein/σ by d: the MDE and the bar share one unit.
  const detectable: Detectable = { ...actionDetectable(mdeAt(flagLevel(family)), mdeAt(actionLevel(family)), bar, alone(name, options, family)), unit: 'sd-shift' };
  const base: Omit<NumericFeatureDrift, 'explanation'> = {
    kind: 'numeric',
    ...judgement(name, selection, score, gateP, insufficient, { reference, current }, { reference: n, current: m }),
    ...(floor !== undefined ? { noiseFloor: finiteScore(floor, 'distance') } : {}),
    ...(selection.scoreKind === 'distance' && family.adjustedP !== undefined ? { adjustedPValue: gateP } : {}),
    detectable,
    metrics,
    outOfRangeShare: outOfRangeShare(reference, current),
    range: { reference: finiteRange(reference.min, reference.max), current: finiteRange(current.min, current.max) },
    quantiles: quantilesOf(reference, current),
    bins: { edges: bins.edges.map(clampFinite), reference: share(bins.reference), current: share(bins.current) },
    mean: { reference: clampFinite(reference.mean), current: clampFinite(current.mean) },
    resolution: { source: stats.resolution, ksError: finiteScore(stats.ksError, 'distance'), wassersteinError: stats.wassersteinError },
  };
  const significance = { pValue: significanceP, label: resolved ? 'KS' : 'means (Welch)', ...(base.adjustedPValue !== undefined ? { adjusted: base.adjustedPValue, family: family.size } : {}) };
  const explanation =
    (insufficient ? explainInsufficient(name, m, n, MIN_VALUES) : explainNumeric(base, significance, resolved)) +
    kindNote(name, 'numeric', options);
  const feature: NumericFeatureDrift = { ...base, explanation };
  return { feature, evidence: { ...evidenceOf(feature), effect: metrics.wassersteinNorm, significance, bar, unseen: { share: 0, pValue: 1 } } };
}

/** Judge a categorical feature (data-quality incidents are found after, by compare). */
export function judgeCategorical(
  name: string,
  reference: CategoricalColumnSignature,
  current: CategoricalColumnSignature,
  options: CompareOptions,
  family: Family = { size: 1 },
): Judged<CategoricalFeatureDrift> {
  const selected = selectTest(reference, options.overrides[name], options.defaults.categorical, name);
  const table = categoryTable(reference, current);
  const nRef = nonNullCount(reference);
  const nCur = nonNullCount(current);
  const cells = table.labels.filter((_, i) => table.reference[i] > 0 || table.current[i] > 0).length;
  const floor =
    selected.scoreKind === 'p-value' ? undefined
    : selected.test === 'jensenshannon' ? jensenShannonNoiseFloor(cells, nRef, nCur)
    : psiNoiseFloor(cells, nRef, nCur);
  const selection = withFloor(selected, floor);
  const unseenCount = table.unseen.reduce((sum, [, c]) => sum + c, 0);
  const metrics = {
    jsDistance: finiteScore(jensenShannon(table.reference, table.current), 'distance'),
    psi: finiteScore(psi(table.reference, table.current), 'distance'),
    chi2PValue: finiteScore(chiSquareFromSignatures(reference, current).pValue, 'p-value'),
    unseenShare: nCur > 0 ? unseenCount / nCur : 0,
  };
  const score = finiteScore(driftTests[selection.test].fn(reference, current), selection.scoreKind);
  const significanceP = gatePValue(reference, current);
  const gateP = selection.scoreKind === 'distance' ? finiteScore(family.adjustedP ?? significanceP, 'p-value') : significanceP;
  const insufficient = nRef < MIN_VALUES || nCur < MIN_VALUES;
  const bar = materialBar(MATERIAL_JS_DISTANCE, insufficient ? undefined : jensenShannonNoiseFloor(cells, nRef, nCur, featureBudget(family.size)));
  const jsAt = (level: number): number =>
    minimumDetectableJensenShannon(cells, nRef, nCur, { threshold: selection.test === 'jensenshannon' ? selection.threshold : 0, level });
  const rows = table.labels.map((value, i) => ({
    value,
    reference: nRef > 0 ? table.reference[i] / nRef : 0,
    current: nCur > 0 ? table.current[i] / nCur : 0,
    unseen: value !== OTHER_LABEL && table.reference[i] === 0 && table.current[i] > 0,
  }));
  const named = rows
    .filter((r) => r.value !== OTHER_LABEL)
    .sort((a, b) => Math.max(b.reference, b.current) - Math.max(a.reference, a.current) || (a.value < b.value ? -1 : 1))
    .slice(0, PLOT_CATEGORIES);
  const other = rows.find((r) => r.value === OTHER_LABEL);
  const categories = other !== undefined && (other.reference > 0 || other.current > 0) ? [...named, other] : named;
  const base: Omit<CategoricalFeatureDrift, 'explanation'> = {
    kind: 'categorical',
    ...judgement(name, selection, score, gateP, insufficient, { reference, current }, { reference: nRef, current: nCur }),
    ...(floor !== undefined ? { noiseFloor: finiteScore(floor, 'distance') } : {}),
    ...(selection.scoreKind === 'distance' && family.adjustedP !== undefined ? { adjustedPValue: gateP } : {}),
    detectable: { ...actionDetectable(jsAt(flagLevel(family)), jsAt(actionLevel(family)), bar, alone(name, options, family)), unit: 'js-distance' },
    metrics,
    ...(reference.other > 0 || current.other > 0
      ? { topK: { k: Math.min(reference.k, current.k), otherShare: { reference: nRef > 0 ? reference.other / nRef : 0, current: nCur > 0 ? current.other / nCur : 0 } } }
      : {}),
    categories,
  };
  const significance = { pValue: significanceP, label: 'chi²', ...(base.adjustedPValue !== undefined ? { adjusted: base.adjustedPValue, family: family.size } : {}) };
  const explanation =
    (insufficient ? explainInsufficient(name, nCur, nRef, MIN_VALUES) : explainCategorical(base, table.unseen, significance)) +
    kindNote(name, 'categorical', options);
  const feature: CategoricalFeatureDrift = { ...base, explanation };
  // Against what sampling explains: a reference of n values misses categories carrying about f1/n of the mass
  // (Good–Turing, f1 = its categories seen once; 100 rows of 200 Zipf categories: ~30 %), so that is the baseline.
  const singletons = reference.top.reduce((sum, [, c]) => sum + (c === 1 ? 1 : 0), 0);
  const unseen = { share: metrics.unseenShare, pValue: twoProportionPValue(singletons, nRef, unseenCount, nCur), expected: nRef > 0 ? singletons / nRef : 0 };
  return { feature, evidence: { ...evidenceOf(feature), effect: metrics.jsDistance, significance, bar, unseen } };
}
