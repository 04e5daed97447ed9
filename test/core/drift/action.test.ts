import { describe, expect, it } from 'vitest';
import { decideAction, orderIncidents, type ActionFeature, type ActionTrigger, type DriftAction, type Incident } from '../../../functions/core/drift/index.js';

/** A judged, stable numeric feature; each case changes what it needs. */
function f(name: string, change: Partial<ActionFeature> = {}): ActionFeature {
  return {
    name,
    kind: 'numeric',
    status: 'ok',
    drift: false,
    severity: 0.3,
    effect: 0.02,
    significance: { pValue: 0.5, label: 'KS' },
    unseen: { share: 0, pValue: 1 },
    ...change,
  };
}

/** Drifted (severity ≥ 1) with the given effect and gate p-value. */
function drifted(name: string, effect: number, pValue: number, change: Partial<ActionFeature> = {}): ActionFeature {
  return f(name, { drift: true, severity: 1.5, effect, significance: { pValue, label: change.kind === 'categorical' ? 'chi²' : 'KS' }, ...change });
}

const stable = ['s1', 's2', 's3', 's4'].map((n) => f(n));
const RULE = { share: 0.5, keyFeatures: [] as string[] };
const missing: Incident = { kind: 'missing-column', feature: 'gone', detail: "Column 'gone' is missing from the current batch." };
const surge: Incident = { kind: 'null-surge', feature: 's1', detail: "'s1' null share rose from 0% to 30% (two-proportion z-test p < 0.001)." };

const CASES: readonly {
  readonly name: string;
  readonly features: readonly ActionFeature[];
  readonly incidents?: readonly Incident[];
  readonly rule?: { share: number; keyFeatures: string[] };
  readonly importance?: Readonly<Record<string, number>>;
  readonly action: DriftAction;
  readonly trigger: ActionTrigger;
  readonly reason?: string;
}[] = [
  {
    name: 'an incident wins over a dataset that drifts',
    features: [drifted('a', 2, 1e-12), drifted('b', 2, 1e-12), ...stable],
    incidents: [missing, surge],
    action: 'data-quality',
    trigger: 'incident',
    reason: "Data quality: column 'gone' is missing from the current batch (and 1 more finding); fix the pipeline before retraining.",
  },
  { name: 'an incident with nothing judged', features: [], incidents: [surge], action: 'data-quality', trigger: 'incident' },
  { name: 'no features', features: [], action: 'none', trigger: 'no-features', reason: 'No action: there are no features to compare.' },
  {
    name: 'every feature too small to judge',
    features: [f('a', { status: 'insufficient-data', severity: -1 })],
    action: 'none',
    trigger: 'insufficient-data',
    reason: 'No action: too little data to judge any feature.',
  },
  { name: 'nothing drifted', features: stable, action: 'none', trigger: 'stable', reason: 'No action: no feature drifted (0 of 4 judged).' },
  {
    name: 'the share rule',
    features: [drifted('a', 0.2, 1e-6), drifted('b', 0.15, 1e-6), ...stable.slice(0, 2)],
    action: 'drift',
    trigger: 'share',
    reason: "Drift: 2 of 4 judged features drifted (the rule needs 50%): 'a', 'b'.",
  },
  {
    name: 'a key feature, small as its move is',
    features: [drifted('a', 0.12, 1e-6), ...stable],
    rule: { share: 0.5, keyFeatures: ['a'] },
    action: 'drift',
    trigger: 'key-feature',
    reason: "Drift: key feature 'a' drifted.",
  },
  {
    name: 'one material numeric shift among stable features',
    features: [drifted('amount', 0.61, 1e-9), ...stable],
    action: 'drift',
    trigger: 'material-feature',
    reason: "Drift: 'amount' moved 0.61 σ (Wasserstein distance in reference σ; KS p < 0.001).",
  },
  { name: 'a numeric shift just below the material bar', features: [drifted('amount', 0.39, 1e-9), ...stable], action: 'watch', trigger: 'drifted-feature' },
  {
    name: 'a large numeric shift outside the false-action budget (0.02 ≥ 1% / 5)',
    features: [drifted('amount', 0.8, 0.02), ...stable],
    action: 'watch',
    trigger: 'drifted-feature',
    reason: "Watch: 1 feature drifted ('amount'), not enough to retrain.",
  },
  {
    name: 'the same shift beside one stable feature at p 0.004 (< 1% / 2)',
    features: [drifted('amount', 0.8, 0.004), f('s1')],
    rule: { share: 1, keyFeatures: [] },
    action: 'drift',
    trigger: 'material-feature',
  },
  {
    name: 'the same shift beside one stable feature at p 0.02 (≥ 1% / 2)',
    features: [drifted('amount', 0.8, 0.02), f('s1')],
    rule: { share: 1, keyFeatures: [] },
    action: 'watch',
    trigger: 'drifted-feature',
  },
  {
    name: 'a material categorical change',
    features: [drifted('city', 0.25, 1e-6, { kind: 'categorical' }), ...stable],
    action: 'drift',
    trigger: 'material-feature',
    reason: "Drift: 'city' changed its mix of categories (Jensen–Shannon distance 0.25; chi² p < 0.001).",
  },
  { name: 'a categorical change below the bar', features: [drifted('city', 0.15, 1e-6, { kind: 'categorical' }), ...stable], action: 'watch', trigger: 'drifted-feature' },
  {
    name: 'a 20% share of never-seen categories, even where the feature\'s own test did not fire',
    features: [f('city', { kind: 'categorical', effect: 0.3, unseen: { share: 0.2, pValue: 1e-8 } }), ...stable],
    action: 'drift',
    trigger: 'material-feature',
    reason: "Drift: 20% of 'city' values are categories the reference never saw (two-proportion p < 0.001).",
  },
  { name: 'never-seen categories below 20%', features: [f('city', { kind: 'categorical', unseen: { share: 0.19, pValue: 1e-8 } }), ...stable], action: 'none', trigger: 'stable' },
  {
    name: 'never-seen categories in a feature too small to judge',
    features: [f('city', { kind: 'categorical', status: 'insufficient-data', severity: -1, unseen: { share: 0.5, pValue: 1e-3 } }), ...stable],
    action: 'none',
    trigger: 'stable',
  },
  {
    name: 'a large distance that is not significant (severity < 1) is not drift at all',
    features: [f('amount', { effect: 0.9, severity: 0.6, significance: { pValue: 0.2, label: 'KS' } }), ...stable],
    action: 'none',
    trigger: 'stable',
  },
  {
    name: 'several small drifts below the share',
    features: [drifted('a', 0.15, 1e-4), drifted('b', 0.12, 1e-4), ...stable, f('s5'), f('s6')],
    action: 'watch',
    trigger: 'drifted-feature',
    reason: "Watch: 2 features drifted ('a', 'b'), not enough to retrain.",
  },
  // Importance-weighted: the same features, weighed by the model's importances.
  {
    name: 'importance: a material shift in a feature the model relies on',
    features: [drifted('amount', 0.61, 1e-9), ...stable],
    importance: { amount: 2, s1: 1, s2: 1, s3: 1, s4: 1 },
    action: 'drift',
    trigger: 'material-feature',
  },
  {
    name: 'importance: a material shift in a feature the model barely uses is watch',
    features: [drifted('amount', 0.61, 1e-9), ...stable],
    importance: { amount: 0.01, s1: 1, s2: 1, s3: 1, s4: 1 },
    action: 'watch',
    trigger: 'drifted-feature',
    reason: "Watch: 1 feature drifted ('amount'); 'amount' moved materially but the model gives it little importance, not enough to retrain.",
  },
  {
    name: 'importance: one drifted feature carrying most of the importance meets the share rule',
    features: [drifted('a', 0.2, 1e-6), ...stable],
    importance: { a: 6, s1: 1, s2: 1, s3: 1, s4: 1 },
    action: 'drift',
    trigger: 'share',
    reason: "Drift: 1 of 5 judged features drifted, carrying 60% of the importance (the rule needs 50%): 'a'.",
  },
  {
    name: 'importance: half the features drifted but they carry little importance',
    features: [drifted('a', 0.2, 1e-6), drifted('b', 0.15, 1e-6), ...stable.slice(0, 2)],
    importance: { a: 0.1, b: 0.1, s1: 1, s2: 1 },
    action: 'watch',
    trigger: 'drifted-feature',
  },
  {
    name: 'importance: a feature the map does not name weighs 0',
    features: [drifted('amount', 0.61, 1e-9), ...stable],
    importance: { s1: 1, s2: 1, s3: 1, s4: 1 },
    action: 'watch',
    trigger: 'drifted-feature',
  },
  {
    name: 'importance: a map naming none of the judged features weighs them all 1',
    features: [drifted('amount', 0.61, 1e-9), ...stable],
    importance: { other: 3 },
    action: 'drift',
    trigger: 'material-feature',
  },
  {
    name: 'importance never hides a data-quality incident',
    features: stable,
    incidents: [surge],
    importance: { s1: 0, s2: 1 },
    action: 'data-quality',
    trigger: 'incident',
  },
];

describe('Function: decideAction', () => {
  it.each(CASES)('$name → $action', ({ features, incidents = [], rule = RULE, importance, action, trigger, reason }) => {
    // Act
    const decision = decideAction({ features, incidents, datasetRule: rule, importance });

    // Assess
    expect([decision.action, decision.trigger]).toEqual([action, trigger]);
    if (reason !== undefined) expect(decision.reason).toBe(reason);
    expect(decision.reason.startsWith({ 'data-quality': 'Data quality: ', drift: 'Drift: ', watch: 'Watch: ', none: 'No action: ' }[action])).toBe(true);
  });

  it('reports the share of judged features that drifted, whatever the action', () => {
    // Act
    const decision = decideAction({ features: [drifted('a', 0.2, 1e-6), ...stable, f('x', { status: 'insufficient-data', severity: -1 })], incidents: [surge], datasetRule: RULE });

    // Assess
    expect(decision.share).toBeCloseTo(1 / 5, 12);
  });
});

describe('Function: orderIncidents', () => {
  it('lists the most serious kind first and keeps the order within a kind', () => {
    // Prepare
    const found: Incident[] = [
      { kind: 'out-of-range-jump', feature: 'r', detail: 'r' },
      surge,
      { kind: 'retyped-column', feature: 't', detail: 't' },
      { kind: 'missing-column', feature: 'm1', detail: 'm1' },
      { kind: 'all-null', feature: 'n', detail: 'n' },
      { kind: 'missing-column', feature: 'm2', detail: 'm2' },
      { kind: 'row-collapse', detail: 'rows' },
    ];

    // Act
    const ordered = orderIncidents(found);

    // Assess
    expect(ordered.map((i) => i.feature ?? i.kind)).toEqual(['row-collapse', 'm1', 'm2', 't', 'n', 's1', 'r']);
  });
});
