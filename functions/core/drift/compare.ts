import type { LogicalType } from '../columns.js';
import { ConfigError } from '../errors.js';
import { formatShare } from '../format.js';
import { parseWith } from '../schema-parse.js';
import type { ColumnSignature, DatasetSignature } from '../signature/types.js';
import { explainDataset } from './explain.js';
import { finiteScore } from './finite.js';
import { FEATURE_RULE, MIN_VALUES, finiteRange, judgeCategorical, judgeNumeric } from './judge-feature.js';
import { NULL_SHARE_RULE, applyNullShareRule } from './null-share.js';
import { compareOptionsSchema, type CompareOptions, type CompareOptionsInput } from './options.js';
import { rankFeatures } from './rank.js';
import { driftTests, type FeatureKind } from './registry.js';
import { SELECTION_RULE, assertTestApplies } from './select-test.js';
import { addRoleChange, fieldChanges } from './schema-changes.js';
import type { DriftResult, FeatureDrift, SchemaChanges, TimeRange } from './types.js';
import { plainQuote } from '../text/plain.js';

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

const TIME_TYPES: readonly LogicalType[] = ['date', 'timestamp'];

function rangeOf(column: ColumnSignature): [number | null, number | null] {
  return column.kind === 'categorical' ? [null, null] : finiteRange(column.min, column.max);
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
  const key = keys.length > 0 ? ` or a key feature (${keys.map((k) => plainQuote(k)).join(', ')}) drifts` : '';
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
  const { missing, added, retyped } = fieldChanges(refFields, curFields);

  const judged: FeatureDrift[] = [];
  const time: TimeRange[] = [];
  for (const [name, field] of refFields) {
    const curField = curFields.get(name);
    if (curField === undefined) continue;
    const refCol = Object.hasOwn(reference.columns, name) ? reference.columns[name] : undefined;
    const curCol = Object.hasOwn(current.columns, name) ? current.columns[name] : undefined;
    if (refCol === undefined && curCol === undefined) continue; // ignored on both sides
    const fields = { reference: field, current: curField };
    if (refCol === undefined || curCol === undefined) {
      addRoleChange(retyped, name, fields, { reference: refCol, current: curCol });
      continue;
    }
    const timeAxis =
      refCol.kind === 'time' ||
      curCol.kind === 'time' ||
      (!opts.testTimeColumns && (TIME_TYPES.includes(field.type) || TIME_TYPES.includes(curField.type)));
    if (timeAxis) time.push({ name, reference: rangeOf(refCol), current: rangeOf(curCol) });
    else if (refCol.kind === 'numeric' && curCol.kind === 'numeric') judged.push(applyNullShareRule(judgeNumeric(name, refCol, curCol, opts), refCol, curCol));
    else if (refCol.kind === 'categorical' && curCol.kind === 'categorical') {
      judged.push(applyNullShareRule(judgeCategorical(name, refCol, curCol, opts), refCol, curCol));
    } else addRoleChange(retyped, name, fields, { reference: refCol, current: curCol });
  }

  const features = rankFeatures(judged);
  const tested = features.filter((f) => f.status === 'ok');
  const drifted = tested.filter((f) => f.drift);
  // A missing feature counts as judged and drifted (data-quality rule), a missing key feature decides alone.
  const judgedCount = tested.length + missing.length;
  const share = judgedCount > 0 ? (drifted.length + missing.length) / judgedCount : 0;
  const keys = opts.datasetRule.keyFeatures;
  const keyDrifted = drifted.some((f) => keys.includes(f.name)) || missing.some((n) => keys.includes(n));
  const verdict: DriftResult['verdict'] =
    judgedCount === 0 ? 'insufficient-data' : share >= opts.datasetRule.share || keyDrifted ? 'drift' : 'no-drift';
  const distanceSeverities = [...tested.filter((f) => f.scoreKind === 'distance').map((f) => f.severity), ...(missing.length > 0 ? [1] : [])];
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
