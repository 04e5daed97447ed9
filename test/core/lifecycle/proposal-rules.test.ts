import { describe, expect, it } from 'vitest';
import { FORECAST_METHOD } from '../../../functions/core/lifecycle/cadence.js';
import { decideProposal, driftedFeatures, evidenceFingerprint, markExemptFeatures } from '../../../functions/core/lifecycle/proposal-rules.js';
import type { DriftResult, FeatureDrift } from '../../../functions/core/drift/types.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const NEXT = '2026-03-02T12:00:00.000Z';

function feature(name: string, drift: boolean, score: number): FeatureDrift {
  return {
    name,
    kind: 'categorical',
    drift,
    status: 'ok',
    test: 'jensenshannon',
    score,
    severity: score / 0.1,
    threshold: 0.1,
    thresholdSource: 'default',
    scoreKind: 'distance',
    nullShare: { reference: 0, current: 0 },
    count: { reference: 100, current: 100 },
    explanation: '',
    metrics: { jsDistance: score, psi: 0, chi2PValue: 1, unseenShare: 0 },
    categories: [],
  };
}

function result(drifted: [string, number][], others: string[] = [], driftIndex = 1.5): DriftResult {
  const features = [...drifted.map(([n, s]) => feature(n, true, s)), ...others.map((n) => feature(n, false, 0.01))];
  return {
    schemaVersion: 1,
    drift: drifted.length > 0,
    verdict: drifted.length > 0 ? 'drift' : 'no-drift',
    action: drifted.length > 0 ? 'drift' : 'none',
    actionReason: '',
    incidents: [],
    rule: { kind: 'share', description: '' },
    features,
    schema: { missing: [], added: [], retyped: [] },
    time: [],
    rowCount: { reference: 100, current: 100 },
    summary: '',
    score: drifted.length / Math.max(1, features.length),
    driftIndex,
  };
}

const base = { activeProposalId: null, snoozedUntil: null, rejected: null, lastRetrainAt: '2026-02-20T00:00:00Z' };
const common = { forecast: null, nextCheckAt: NEXT, activeBlocks: false, maxRetrainIntervalSeconds: 90 * 86_400, now: NOW };

describe('Function: decideProposal', () => {
  it('proposes on a drift verdict, and not on stable data', () => {
    // Act
    const drift = decideProposal({ ...common, result: result([['country', 0.3]], ['amount']), state: base });
    const stable = decideProposal({ ...common, result: result([], ['amount'], 0.2), state: base });

    // Assess
    expect(drift).toEqual({ propose: true, triggers: ['drift'], suppressed: null });
    expect(stable.propose).toBe(false);
    expect(stable.triggers).toEqual([]);
  });

  it('proposes when the forecast crossing falls before the next check', () => {
    // Prepare
    const forecast = { crossingAt: '2026-03-02T00:00:00.000Z', slopePerDay: 0.2, points: 4, method: FORECAST_METHOD };

    // Act
    const d = decideProposal({ ...common, forecast, result: result([], ['amount'], 0.9), state: base });

    // Assess
    expect(d.propose).toBe(true);
    expect(d.triggers).toEqual(['forecast-crossing-before-next-check']);
  });

  it('is suppressed by an active proposal and by a running snooze', () => {
    // Act
    const active = decideProposal({ ...common, activeBlocks: true, result: result([['a', 0.3]]), state: { ...base, activeProposalId: 'p1' } });
    const snoozed = decideProposal({ ...common, result: result([['a', 0.3]]), state: { ...base, snoozedUntil: '2026-03-05T00:00:00Z' } });
    const snoozeOver = decideProposal({ ...common, result: result([['a', 0.3]]), state: { ...base, snoozedUntil: '2026-03-01T00:00:00Z' } });

    // Assess
    expect(active.propose).toBe(false);
    expect(active.suppressed).toMatch(/p1/);
    expect(snoozed.propose).toBe(false);
    expect(snoozed.suppressed).toMatch(/snoozed/);
    expect(snoozeOver.propose).toBe(true);
  });

  it('does not re-propose rejected evidence, but does for a new feature or much stronger drift', () => {
    // Prepare
    const rejected = { fingerprint: 'amount,country', driftIndex: 1.5, at: '2026-02-28T00:00:00Z' };
    const state = { ...base, rejected };

    // Act
    const same = decideProposal({ ...common, result: result([['country', 0.3], ['amount', 0.2]], [], 1.6), state });
    const subset = decideProposal({ ...common, result: result([['country', 0.3]], [], 1.4), state });
    const newFeature = decideProposal({ ...common, result: result([['country', 0.3], ['device', 0.2]], [], 1.5), state });
    const stronger = decideProposal({ ...common, result: result([['country', 0.6]], [], 2.4), state });

    // Assess
    expect(same.propose).toBe(false);
    expect(same.suppressed).toMatch(/rejected/);
    expect(subset.propose).toBe(false);
    expect(newFeature.propose).toBe(true);
    expect(stronger.propose).toBe(true);
  });

  it('proposes once the maximum retrain interval has elapsed, drift or not', () => {
    // Act
    const d = decideProposal({ ...common, maxRetrainIntervalSeconds: 86_400, result: result([], ['a'], 0.1), state: base });

    // Assess
    expect(d).toEqual({ propose: true, triggers: ['max-retrain-interval'], suppressed: null });
  });

  it('after a rejection, suppresses the max-retrain-interval trigger for minRetrainInterval, then fires again', () => {
    // Prepare: the interval elapsed long ago; a proposal was rejected 1 hour before NOW.
    const rejectedAt = new Date(NOW.getTime() - 3_600_000).toISOString();
    const state = { ...base, rejected: { fingerprint: '', driftIndex: 0.1, at: rejectedAt } };
    const input = { ...common, maxRetrainIntervalSeconds: 86_400, result: result([], ['a'], 0.1), state };

    // Act
    const soon = decideProposal({ ...input, minRetrainIntervalSeconds: 2 * 86_400 });
    const byDefault = decideProposal(input);
    const later = decideProposal({ ...input, minRetrainIntervalSeconds: 1800 });
    const withDrift = decideProposal({ ...input, minRetrainIntervalSeconds: 2 * 86_400, result: result([['b', 0.3]], ['a'], 2) });

    // Assess
    expect(soon.propose).toBe(false);
    expect(soon.triggers).toEqual(['max-retrain-interval']);
    expect(soon.suppressed).toMatch(/max-retrain-interval is suppressed until .*minRetrainInterval/);
    expect(byDefault.propose).toBe(false);
    expect(later).toEqual({ propose: true, triggers: ['max-retrain-interval'], suppressed: null });
    // A new drifted feature is still proposed (through the rejected-evidence rule).
    expect(withDrift).toEqual({ propose: true, triggers: ['drift'], suppressed: null });
  });
});

describe('Function: markExemptFeatures and the exempt drift trigger', () => {
  it('marks a drifted feature inside its window; drift only in exempt features opens nothing; another drifted feature still drives', () => {
    // Prepare: 'amount' is exempt at 10:00–10:59 UTC.
    const overrides = { amount: { exemptWindows: [{ hour: 10 }] } };
    const only = result([['amount', 0.9]]);
    const both = result([['amount', 0.9], ['country', 0.3]]);

    // Act
    const inside = markExemptFeatures(only, overrides, new Date('2026-03-02T10:30:00Z'));
    const outside = markExemptFeatures(only, overrides, new Date('2026-03-02T11:30:00Z'));
    const mixed = markExemptFeatures(both, overrides, new Date('2026-03-02T10:30:00Z'));
    const dInside = decideProposal({ ...common, result: inside.result, exempt: inside.exempt, state: base });
    const dOutside = decideProposal({ ...common, result: outside.result, exempt: outside.exempt, state: base });
    const dMixed = decideProposal({ ...common, result: mixed.result, exempt: mixed.exempt, state: base });

    // Assess
    expect(inside.exempt).toEqual(['amount']);
    expect(inside.result.features[0].explanation).toContain('Exempt: recurring window 10:00–10:59 UTC, so it drives no retrain proposal.');
    expect(inside.result.features[0].drift).toBe(true);
    expect(dInside).toEqual({ propose: false, triggers: [], suppressed: 'drift only in features inside an exempt recurring window (amount)' });
    expect(outside.exempt).toEqual([]);
    expect(outside.result).toBe(only);
    expect(dOutside.propose).toBe(true);
    expect(dMixed.propose).toBe(true);
    expect(driftedFeatures(mixed.result, mixed.exempt).map((f) => f.name)).toEqual(['country', 'amount']);
  });
});

describe('Function: markExemptFeatures and a slice of an exempt feature', () => {
  it('exempts the feature in a slice alarm too: a seasonal shift of amount seen within country = US drives no proposal inside the window', () => {
    // Prepare: 'amount' is exempt at 10:00–10:59 UTC; it drifts overall and within one alarmed slice.
    const overrides = { amount: { exemptWindows: [{ hour: 10 }] } };
    // Only the fields sliceDriftedFeatures reads (slices.ts); a full slice result is built in test/core/drift/slices.test.ts.
    const slice = { column: 'country', value: 'US', isOther: false, alarm: true, severity: 9, drifted: [{ name: 'amount', score: 0.9, threshold: 0.1, test: 'wasserstein' }] };
    const withSlice = { ...result([['amount', 0.9]]), slices: [slice] } as unknown as DriftResult;

    // Act
    const inside = markExemptFeatures(withSlice, overrides, new Date('2026-03-02T10:30:00Z'));
    const outside = markExemptFeatures(withSlice, overrides, new Date('2026-03-02T11:30:00Z'));
    const dInside = decideProposal({ ...common, result: inside.result, exempt: inside.exempt, state: base });
    const dOutside = decideProposal({ ...common, result: outside.result, exempt: outside.exempt, state: base });

    // Assess
    expect(dInside.propose).toBe(false);
    expect(dInside.triggers).toEqual([]);
    expect(dOutside).toEqual({ propose: true, triggers: ['drift'], suppressed: null });
  });
});

describe('Function: evidenceFingerprint', () => {
  it('is the sorted drifted feature names, and driftedFeatures keeps scores, thresholds and severities', () => {
    // Prepare
    const r = result([['zeta', 0.5], ['alpha', 0.2]], ['beta']);

    // Act / Assess
    expect(evidenceFingerprint(r)).toBe('alpha,zeta');
    expect(driftedFeatures(r)).toEqual([
      { name: 'zeta', score: 0.5, threshold: 0.1, test: 'jensenshannon', severity: 5 },
      { name: 'alpha', score: 0.2, threshold: 0.1, test: 'jensenshannon', severity: 2 },
    ]);
  });
});
