import { formatIsoMs } from '../format.js';
import type { LogicalType } from '../columns.js';
import { ConfigError } from '../errors.js';
import { parseWith } from '../schema-parse.js';
import type { CategoricalColumnSignature, ColumnSignature, DatasetSignature } from '../signature/types.js';
import { explainDataset } from './explain.js';
import { finiteScore } from './finite.js';
import { actionRuleSentence, decideAction } from './action.js';
import { DATA_QUALITY_RULE, columnIncidents, orderIncidents, rowCollapseIncident, schemaIncidents } from './incidents.js';
import { FEATURE_RULE, MIN_VALUES, finiteRange, gatePValue, judgeCategorical, judgeNumeric, type Judged } from './judge-feature.js';
import { benjaminiHochberg } from './noise.js';
import { nonNullCount } from './categorical.js';
import { compareOptionsSchema, type CompareOptions, type CompareOptionsInput } from './options.js';
import { rankFeatures } from './rank.js';
import { driftTests, type FeatureKind, type TestedColumn } from './registry.js';
import { SELECTION_RULE, assertTestApplies } from './select-test.js';
import { addRoleChange, fieldChanges } from './schema-changes.js';
import { INPUT_NAMES_SHOWN, type DriftResult, type FeatureDrift, type Incident, type SchemaChanges, type TimeRange } from './types.js';

/**
 * Compare a current signature with a reference signature: per-feature tests, schema changes, data-quality
 * incidents, the action (action.ts), the dataset verdict and the sentences that explain them.
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
 * values (current or reference) make a feature `insufficient-data`, never drift by distribution.
 * Data-quality findings (incidents.ts: a missing or retyped column, a null surge, an all-null column, an
 * out-of-range jump, a row collapse) never count as drift: the feature keeps its own test result, the
 * finding is an incident and makes the action `data-quality`.
 * Every score, metric and the drift index is finite (see finite.ts), so results survive JSON.
 */

const TIME_TYPES: readonly LogicalType[] = ['date', 'timestamp'];

/** One side's source names for the result: the first few, and how many. */
function inputSide(signature: DatasetSignature): { sources: string[]; count: number } {
  return { sources: signature.sources.slice(0, INPUT_NAMES_SHOWN), count: signature.sources.length };
}

/** A time column's range as ISO times (JSON readers get dates, not ms). */
function rangeOf(column: ColumnSignature): [string | null, string | null] {
  const [min, max] = column.kind === 'categorical' ? [null, null] : finiteRange(column.min, column.max);
  return [min === null ? null : formatIsoMs(min), max === null ? null : formatIsoMs(max)];
}

/** Values a tested column has to judge: finite numbers, or non-null categories. */
function valuesOf(column: TestedColumn): number {
  return column.kind === 'numeric' ? column.finite : nonNullCount(column);
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

/** A feature with data-quality incidents: its own test result kept, the incidents said first in its sentence. */
function withIncidents(feature: FeatureDrift, incidents: readonly Incident[]): FeatureDrift {
  return { ...feature, explanation: `Data quality: ${incidents.map((i) => i.detail).join(' ')} ${feature.explanation}` };
}

/**
 * Compare `current` with `reference`: never throws on missing, added or retyped columns (they land in
 * `schema`); throws ConfigError only for invalid options (an unknown test, a test for the wrong kind).
 * @example
 * const result = compare(reference, current, { datasetRule: { share: 0.3, keyFeatures: ['fare'] } });
 * if (result.action !== 'none') console.log(result.actionReason);
 */
export function compare(reference: DatasetSignature, current: DatasetSignature, options: CompareOptionsInput = {}): DriftResult {
  const opts = parseWith(compareOptionsSchema, options, 'compare options');
  checkTests(opts, reference);
  const wanted = (name: string): boolean =>
    (opts.include === undefined || opts.include.includes(name)) && !opts.exclude.includes(name);
  const refFields = new Map(reference.schema.filter((f) => wanted(f.name)).map((f) => [f.name, f] as const));
  const curFields = new Map(current.schema.filter((f) => wanted(f.name)).map((f) => [f.name, f] as const));
  const { missing, added, retyped } = fieldChanges(refFields, curFields);

  const judged: Judged<FeatureDrift>[] = [];
  const time: TimeRange[] = [];
  const found: Incident[] = [];
  const tested: { reference: ColumnSignature; current: ColumnSignature }[] = [];
  const pending: { name: string; reference: TestedColumn; current: TestedColumn }[] = [];
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
    else if ((refCol.kind === 'numeric' && curCol.kind === 'numeric') || (refCol.kind === 'categorical' && curCol.kind === 'categorical')) {
      pending.push({ name, reference: refCol, current: curCol });
    } else addRoleChange(retyped, name, fields, { reference: refCol, current: curCol });
  }
  // Multiplicity: the gates of the judged features are Benjamini–Hochberg adjusted together (noise.ts).
  const family = pending.filter((t) => valuesOf(t.reference) >= MIN_VALUES && valuesOf(t.current) >= MIN_VALUES);
  const adjusted = new Map<string, number>();
  benjaminiHochberg(family.map((t) => gatePValue(t.reference, t.current))).forEach((q, i) => adjusted.set(family[i].name, q));
  for (const t of pending) {
    const ctx = { adjustedP: adjusted.get(t.name), size: family.length };
    const one: Judged<FeatureDrift> =
      t.reference.kind === 'numeric' && t.current.kind === 'numeric'
        ? judgeNumeric(t.name, t.reference, t.current, opts, ctx)
        : judgeCategorical(t.name, t.reference as CategoricalColumnSignature, t.current as CategoricalColumnSignature, opts, ctx);
    tested.push({ reference: t.reference, current: t.current });
    const incidents = columnIncidents(t.name, t.reference, t.current);
    found.push(...incidents);
    judged.push(incidents.length === 0 ? one : { ...one, feature: withIncidents(one.feature, incidents) });
  }

  const schema: SchemaChanges = { missing, added, retyped };
  const rowCount = { reference: reference.rowCount, current: current.rowCount };
  const collapse = rowCollapseIncident(rowCount, tested);
  // A collapse explains every empty column at once: its per-column all-null findings would only repeat it.
  const incidents = orderIncidents([...schemaIncidents(schema), ...(collapse === null ? found : [collapse, ...found.filter((i) => i.kind !== 'all-null')])]);
  const decision = decideAction({ features: judged.map((j) => j.evidence), incidents, datasetRule: opts.datasetRule, importance: opts.featureImportance });
  const features = rankFeatures(judged.map((j) => j.feature));
  const judgedFeatures = features.filter((f) => f.status === 'ok');
  const verdict: DriftResult['verdict'] =
    decision.action === 'drift' ? 'drift' : judgedFeatures.length === 0 && incidents.length === 0 ? 'insufficient-data' : 'no-drift';
  const distanceSeverities = judgedFeatures.filter((f) => f.scoreKind === 'distance').map((f) => f.severity);
  const driftIndex = finiteScore(distanceSeverities.length > 0 ? Math.max(...distanceSeverities) : 0, 'distance');
  const sentence = actionRuleSentence(opts.datasetRule, DATA_QUALITY_RULE, opts.featureImportance !== undefined);
  return {
    schemaVersion: 1,
    drift: decision.action === 'drift',
    verdict,
    action: decision.action,
    actionReason: decision.reason,
    incidents,
    rule: {
      kind: 'action-classes',
      description: `Action: ${sentence} Feature: ${FEATURE_RULE}. Tests by default: ${SELECTION_RULE}.`,
    },
    features,
    schema,
    time,
    rowCount,
    inputs: { reference: inputSide(reference), current: inputSide(current) },
    summary: explainDataset({ action: decision.action, features, schema, incidents, ruleSentence: sentence, minimum: MIN_VALUES }),
    score: decision.share,
    driftIndex,
  };
}
