import type { ColumnField, LogicalType } from '../columns.js';
import { MIXED_TYPES_SEPARATOR } from '../signature/merge.js';
import { ConfigError } from '../errors.js';
import { parseWith } from '../schema-parse.js';
import type {
  CategoricalColumnSignature,
  ColumnSignature,
  DatasetSignature,
  NumericColumnSignature,
} from '../signature/types.js';
import { OTHER_LABEL, categoryTable, chiSquareFromSignatures, nonNullCount } from './categorical.js';
import { jensenShannon, psi } from './distances.js';
import { explainCategorical, explainDataset, explainInsufficient, explainNumeric, formatShare } from './explain.js';
import { clampFinite, finiteScore } from './finite.js';
import { normalTwoSidedP } from './special.js';
import { binsOf, ksFromSketches, meanShiftPValue, outOfRangeShare, quantilesOf, sketchResolves, wassersteinNorm } from './numeric.js';
import { compareOptionsSchema, type CompareOptions, type CompareOptionsInput } from './options.js';
import { driftTests, SIGNIFICANCE_LEVEL, significanceTestByKind, type FeatureKind, type TestedColumn } from './registry.js';
import { SELECTION_RULE, assertTestApplies, selectTest, type TestSelection } from './select-test.js';
import type {
  CategoricalFeatureDrift,
  DriftResult,
  FeatureDrift,
  NumericFeatureDrift,
  SchemaChanges,
} from './types.js';

/**
 * Compare a current signature with a reference signature: per-feature tests, schema and data-quality
 * changes, the dataset verdict and the sentences that explain it.
 *
 * The per-feature rule (why there are no false alarms from sample size): a feature drifts when BOTH
 * - the effect is material: its distance score (Wasserstein in reference σ, Jensen–Shannon, PSI) reaches
 *   the threshold, so a huge batch cannot flag a trivial move that is merely "significant"; and
 * - the change is significant for the current sample size: KS p < 0.05 (numeric) or chi-square p < 0.05
 *   (categorical, categories with expected count < 5 pooled so the test is valid), so a small batch cannot
 *   flag sampling noise (300 rows over 200 categories always look "far" by Jensen–Shannon).
 * Numeric columns far from 0 with a small spread (epoch timestamps, years) fit in a few sketch buckets;
 * for them the gate is a test of means on the exact moments instead of KS (see `sketchResolves`).
 * When a user picks a p-value test (ks, chi2), the p-value alone decides. Fewer than MIN_VALUES non-null
 * values (current or reference) make a feature `insufficient-data`, never drift by distribution; but the
 * data-quality rule (NULL_SHARE_RULE) still applies: a null share that rises by ≥ 0.2 absolute and
 * significantly, an all-null column, or a missing column counts as drifted (test `null-share`).
 * Every score, metric and the drift index is finite (see finite.ts), so results survive JSON.
 */

/** Fewest non-null values on each side for a feature to be judged. */
export const MIN_VALUES = 30;

/** Number of categories kept for plots. */
export const PLOT_CATEGORIES = 20;

const TIME_TYPES: readonly LogicalType[] = ['date', 'timestamp'];

/** The per-feature rule, as stated in every result. */
export const FEATURE_RULE =
  `a feature drifts when its distance score reaches its threshold AND the change is significant ` +
  `(numeric: KS p < ${SIGNIFICANCE_LEVEL}, or a test of means where the sketch cannot resolve the column; ` +
  `categorical: chi-square p < ${SIGNIFICANCE_LEVEL}, sparse categories pooled); ` +
  `a p-value test (ks, chi2) decides alone; features with fewer than ${MIN_VALUES} values are not judged`;

interface Evaluated {
  readonly feature: FeatureDrift;
  /** Drift-relative severity: ≥ 1 means drift (see `severityOf`); -1 when not judged. */
  readonly severity: number;
}

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

/** The shared decision: reads only the score kind, never the test's name. */
function decide(selection: TestSelection, score: number, significanceP: number): boolean {
  if (selection.scoreKind === 'p-value') return score < selection.threshold;
  return score >= selection.threshold && significanceP < SIGNIFICANCE_LEVEL;
}

function nullShare(column: { count: number; nulls: number }): number {
  return column.count > 0 ? column.nulls / column.count : 0;
}

/** The fields every judged feature shares: the decision, the test and where its threshold came from. */
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
    nullShare: { reference: nullShare(columns.reference), current: nullShare(columns.current) },
    count,
  };
}

/** The p-value of the kind's gating test (registry entry named by `significanceTestByKind`). */
function significanceOf(kind: FeatureKind, reference: TestedColumn, current: TestedColumn): number {
  return driftTests[significanceTestByKind[kind]].fn(reference, current);
}

function evaluateNumeric(
  name: string,
  reference: NumericColumnSignature,
  current: NumericColumnSignature,
  options: CompareOptions,
): Evaluated {
  const selection = selectTest(reference, options.overrides[name], options.defaults.numeric, name);
  const ks = ksFromSketches(reference.sketch, current.sketch);
  const bins = binsOf(reference, current);
  const metrics = {
    ksStat: finiteScore(ks.statistic, 'distance'),
    ksPValue: finiteScore(ks.pValue, 'p-value'),
    wassersteinNorm: finiteScore(wassersteinNorm(reference, current), 'distance'),
    psi: finiteScore(psi(bins.reference, bins.current), 'distance'),
    jsDistance: finiteScore(jensenShannon(bins.reference, bins.current), 'distance'),
  };
  const score = finiteScore(driftTests[selection.test].fn(reference, current), selection.scoreKind);
  // Where the sketch cannot resolve the column (see sketchResolves), KS on it is blind: gate on the exact means.
  const resolved = sketchResolves(reference);
  const significanceP = finiteScore(resolved ? significanceOf('numeric', reference, current) : meanShiftPValue(reference, current), 'p-value');
  const insufficient = reference.finite < MIN_VALUES || current.finite < MIN_VALUES;
  const share = (counts: number[]): number[] => {
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (total > 0 ? c / total : 0));
  };
  const base: Omit<NumericFeatureDrift, 'explanation'> = {
    kind: 'numeric',
    ...judgement(name, selection, score, significanceP, insufficient, { reference, current }, { reference: reference.finite, current: current.finite }),
    metrics,
    outOfRangeShare: outOfRangeShare(reference, current),
    range: { reference: finiteRange(reference.min, reference.max), current: finiteRange(current.min, current.max) },
    quantiles: quantilesOf(reference, current),
    bins: { edges: bins.edges.map(clampFinite), reference: share(bins.reference), current: share(bins.current) },
    mean: { reference: clampFinite(reference.mean), current: clampFinite(current.mean) },
  };
  const explanation =
    (insufficient
      ? explainInsufficient(name, current.finite, reference.finite, MIN_VALUES)
      : explainNumeric(base, { pValue: significanceP, label: resolved ? 'KS' : 'means (Welch)' }, resolved)) +
    kindNote(name, 'numeric', options);
  return {
    feature: { ...base, explanation },
    severity: insufficient ? -1 : severityOf(selection, score, significanceP),
  };
}

function evaluateCategorical(
  name: string,
  reference: CategoricalColumnSignature,
  current: CategoricalColumnSignature,
  options: CompareOptions,
): Evaluated {
  const selection = selectTest(reference, options.overrides[name], options.defaults.categorical, name);
  const table = categoryTable(reference, current);
  const nRef = nonNullCount(reference);
  const nCur = nonNullCount(current);
  const unseenCount = table.unseen.reduce((sum, [, c]) => sum + c, 0);
  const metrics = {
    jsDistance: finiteScore(jensenShannon(table.reference, table.current), 'distance'),
    psi: finiteScore(psi(table.reference, table.current), 'distance'),
    chi2PValue: finiteScore(chiSquareFromSignatures(reference, current).pValue, 'p-value'),
    unseenShare: nCur > 0 ? unseenCount / nCur : 0,
  };
  const score = finiteScore(driftTests[selection.test].fn(reference, current), selection.scoreKind);
  const significanceP = finiteScore(significanceOf('categorical', reference, current), 'p-value');
  const insufficient = nRef < MIN_VALUES || nCur < MIN_VALUES;
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
    ...judgement(name, selection, score, significanceP, insufficient, { reference, current }, { reference: nRef, current: nCur }),
    metrics,
    categories,
  };
  const explanation =
    (insufficient
      ? explainInsufficient(name, nCur, nRef, MIN_VALUES)
      : explainCategorical(base, table.unseen, { pValue: significanceP, label: 'chi²' })) +
    kindNote(name, 'categorical', options);
  return {
    feature: { ...base, explanation },
    severity: insufficient ? -1 : severityOf(selection, score, significanceP),
  };
}

/**
 * A kind override is applied when signatures are built (the column's role); compare can only test the kind
 * the signatures hold, so a mismatch is said, not hidden.
 */
function kindNote(name: string, kind: FeatureKind, options: CompareOptions): string {
  const wanted = options.overrides[name]?.kind;
  if (wanted === undefined || wanted === kind) return '';
  return ` (Override kind '${wanted}' not applied: the signatures summarise '${name}' as ${kind}; rebuild the reference with that role.)`;
}

function rangeOf(column: ColumnSignature): readonly [number | null, number | null] {
  return column.kind === 'categorical' ? [null, null] : finiteRange(column.min, column.max);
}

/** A field's type for the schema report: a window whose batches disagree lists every type seen. */
function typeLabel(field: ColumnField): string {
  return field.type === 'other' && field.sourceType.includes(MIXED_TYPES_SEPARATOR) ? `mixed: ${field.sourceType}` : field.type;
}

function finiteRange(min: number | null, max: number | null): readonly [number | null, number | null] {
  return [min === null ? null : clampFinite(min), max === null ? null : clampFinite(max)];
}

/** Absolute rise of the null share at which a feature counts as drifted by the data-quality rule. */
export const NULL_SHARE_RISE = 0.2;

/** The data-quality rule, as stated in every result. */
export const NULL_SHARE_RULE =
  `a feature also drifts (test 'null-share') when its null share rises by ≥ ${NULL_SHARE_RISE} absolute and ` +
  `significantly (two-proportion z-test p < ${SIGNIFICANCE_LEVEL}), when it becomes all-null, or when it goes missing ` +
  `(a missing key feature makes the dataset drift)`;

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
 * Apply the data-quality rule to an evaluated feature: a null share that rose by ≥ NULL_SHARE_RISE and
 * significantly, or a column that became all-null, makes the feature drifted with test `null-share`
 * (score = the rise, threshold = NULL_SHARE_RISE); otherwise the feature is returned unchanged.
 */
function applyNullShareRule(evaluated: Evaluated, reference: ColumnSignature, current: ColumnSignature): Evaluated {
  const before = nullShare(reference);
  const after = nullShare(current);
  const rise = after - before;
  const allNull = current.count > 0 && current.nulls === current.count && reference.nulls < reference.count;
  const significant = twoProportionPValue(reference.nulls, reference.count, current.nulls, current.count) < SIGNIFICANCE_LEVEL;
  if (!allNull && !(rise >= NULL_SHARE_RISE && significant)) return evaluated;
  const f = evaluated.feature;
  const why = allNull
    ? `'${f.name}' is now entirely null (was ${formatShare(before)} null).`
    : `'${f.name}' null share rose from ${formatShare(before)} to ${formatShare(after)} (≥ ${NULL_SHARE_RISE} absolute, two-proportion z-test p < ${SIGNIFICANCE_LEVEL}).`;
  const feature: FeatureDrift = {
    ...f,
    drift: true,
    status: 'ok',
    test: 'null-share',
    score: rise,
    threshold: NULL_SHARE_RISE,
    thresholdSource: 'default',
    scoreKind: 'distance',
    explanation: `${why} Data quality: counted as drift. ${f.explanation}`,
  };
  return { feature, severity: Math.max(1, rise / NULL_SHARE_RISE, evaluated.severity) };
}

/** Every problem with the tests named in the options, as one ConfigError. */
function checkTests(options: CompareOptions, reference: DatasetSignature): void {
  const problems: string[] = [];
  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message.replace(/^compare options: /, ''));
    }
  };
  for (const kind of ['numeric', 'categorical'] as const) {
    const test = options.defaults[kind]?.test;
    if (test !== undefined) attempt(() => assertTestApplies(test, kind, `defaults.${kind}.test`));
  }
  for (const [name, override] of Object.entries(options.overrides)) {
    const test = override.test;
    if (test === undefined) continue;
    const column = Object.hasOwn(reference.columns, name) ? reference.columns[name] : undefined;
    if (column !== undefined && column.kind !== 'time') attempt(() => assertTestApplies(test, column.kind as FeatureKind, `overrides.${name}.test`));
    else if (!Object.hasOwn(driftTests, test)) {
      problems.push(`overrides.${name}.test: unknown drift test '${test}' (known: ${Object.keys(driftTests).join(', ')})`);
    }
  }
  if (problems.length > 0) throw new ConfigError('compare options', problems.join('; '));
}

function ruleSentence(options: CompareOptions): string {
  const keys = options.datasetRule.keyFeatures;
  const key = keys.length > 0 ? ` or a key feature (${keys.map((k) => `'${k}'`).join(', ')}) drifts` : '';
  return `drift when ≥ ${formatShare(options.datasetRule.share)} of the judged features drift${key}.`;
}

/**
 * Compare `current` with `reference`: never throws on missing, added or retyped columns (they land in
 * `schema`); throws ConfigError only for invalid options (an unknown test, a test for the wrong kind).
 * @example
 * const result = compare(reference, current, { datasetRule: { share: 0.3, keyFeatures: ['fare'] } });
 * if (result.drift) console.log(result.summary);
 */
export function compare(reference: DatasetSignature, current: DatasetSignature, options: CompareOptionsInput = {}): DriftResult {
  const opts = parseWith(compareOptionsSchema, options, 'compare options');
  checkTests(opts, reference);
  const wanted = (name: string): boolean =>
    (opts.include === undefined || opts.include.includes(name)) && !opts.exclude.includes(name);
  const refFields = new Map(reference.schema.filter((f) => wanted(f.name)).map((f) => [f.name, f] as const));
  const curFields = new Map(current.schema.filter((f) => wanted(f.name)).map((f) => [f.name, f] as const));
  const missing = [...refFields.keys()].filter((n) => !curFields.has(n));
  const added = [...curFields.keys()].filter((n) => !refFields.has(n));
  const retyped: { name: string; reference: string; current: string }[] = [];
  for (const [name, field] of refFields) {
    const other = curFields.get(name);
    if (other !== undefined && other.type !== field.type) retyped.push({ name, reference: field.type, current: typeLabel(other) });
  }

  const evaluated: Evaluated[] = [];
  const time: { name: string; reference: readonly [number | null, number | null]; current: readonly [number | null, number | null] }[] = [];
  for (const [name, field] of refFields) {
    const curField = curFields.get(name);
    if (curField === undefined) continue;
    const refCol = Object.hasOwn(reference.columns, name) ? reference.columns[name] : undefined;
    const curCol = Object.hasOwn(current.columns, name) ? current.columns[name] : undefined;
    if (refCol === undefined && curCol === undefined) continue; // ignored on both sides
    if (refCol === undefined || curCol === undefined) {
      // Summarised on one side only (its role changed): nothing to compare, reported as a retype.
      if (!retyped.some((r) => r.name === name)) {
        retyped.push({ name, reference: refCol ? `${field.type} (${refCol.kind})` : `${field.type} (ignored)`, current: curCol ? `${curField.type} (${curCol.kind})` : `${curField.type} (ignored)` });
      }
      continue;
    }
    const timeAxis =
      refCol.kind === 'time' ||
      curCol.kind === 'time' ||
      (!opts.testTimeColumns && (TIME_TYPES.includes(field.type) || TIME_TYPES.includes(curField.type)));
    if (timeAxis) {
      time.push({ name, reference: rangeOf(refCol), current: rangeOf(curCol) });
      continue;
    }
    if (refCol.kind === 'numeric' && curCol.kind === 'numeric') evaluated.push(applyNullShareRule(evaluateNumeric(name, refCol, curCol, opts), refCol, curCol));
    else if (refCol.kind === 'categorical' && curCol.kind === 'categorical') {
      evaluated.push(applyNullShareRule(evaluateCategorical(name, refCol, curCol, opts), refCol, curCol));
    }
    else if (!retyped.some((r) => r.name === name)) {
      retyped.push({ name, reference: `${field.type} (${refCol.kind})`, current: `${curField.type} (${curCol.kind})` });
    }
  }

  evaluated.sort(
    (a, b) =>
      Number(b.feature.drift) - Number(a.feature.drift) ||
      b.severity - a.severity ||
      (a.feature.name < b.feature.name ? -1 : a.feature.name > b.feature.name ? 1 : 0),
  );
  const features = evaluated.map((e) => e.feature);
  const judged = evaluated.filter((e) => e.feature.status === 'ok');
  const drifted = judged.filter((e) => e.feature.drift);
  // A missing feature counts as judged and drifted (data-quality rule), a missing key feature decides alone.
  const judgedCount = judged.length + missing.length;
  const share = judgedCount > 0 ? (drifted.length + missing.length) / judgedCount : 0;
  const keyDrifted =
    drifted.some((e) => opts.datasetRule.keyFeatures.includes(e.feature.name)) || missing.some((n) => opts.datasetRule.keyFeatures.includes(n));
  const verdict: DriftResult['verdict'] =
    judgedCount === 0 ? 'insufficient-data' : share >= opts.datasetRule.share || keyDrifted ? 'drift' : 'no-drift';
  const distanceSeverities = [
    ...judged.filter((e) => e.feature.scoreKind === 'distance').map((e) => e.severity),
    ...(missing.length > 0 ? [1] : []),
  ];
  const driftIndex = finiteScore(distanceSeverities.length > 0 ? Math.max(...distanceSeverities) : 0, 'distance');
  const schema: SchemaChanges = { missing, added, retyped };
  const sentence = ruleSentence(opts);
  return {
    schemaVersion: 1,
    drift: verdict === 'drift',
    verdict,
    rule: {
      kind: 'share-or-key-feature',
      description: `Dataset: ${sentence} Feature: ${FEATURE_RULE}; ${NULL_SHARE_RULE}. Tests by default: ${SELECTION_RULE}.`,
    },
    features,
    schema,
    time,
    rowCount: { reference: reference.rowCount, current: current.rowCount },
    summary: explainDataset({ verdict, features, schema, ruleSentence: sentence, minimum: MIN_VALUES }),
    score: share,
    driftIndex,
  };
}
