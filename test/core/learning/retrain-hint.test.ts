import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outcomeOf, withOutcome } from '../../../functions/core/learning/outcomes.js';
import { planTrainingWindow, recommendTrainingRows, recommendedTrainingRowsSchema, trainingWindow, trainingWindowSchema } from '../../../functions/core/learning/retrain-hint.js';
import { parseAdoptionManifest } from '../../../functions/core/lifecycle/adoption.js';

const curves = JSON.parse(readFileSync(new URL('../../fixtures/learning/curves.json', import.meta.url), 'utf8')) as { curves: { name: string; points: { rows: number; score: number }[] }[] };
const OPTIONS = { epsilon: 0.002, maxExtrapolation: 4, minR2: 0.9 };

function historyWith(extra: Record<string, unknown>) {
  const m = parseAdoptionManifest({ schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'], ...extra }, 'm');
  return withOutcome(undefined, 'fraud', outcomeOf(m, undefined, '2026-03-01T00:00:00.000Z')) ?? undefined;
}

const checks = (levels: number[], perCheck = 2) =>
  levels.map((driftIndex, i) => ({ at: new Date(Date.UTC(2026, 2, 1 + i)).toISOString(), checkId: `c${i}`, driftIndex, signatures: perCheck }));

describe('Function: recommendTrainingRows', () => {
  it('recommends from the newest learning curve, in the metric units, valid by the event schema', () => {
    // Prepare
    const points = curves.curves.find((c) => c.name === 'known-plateau')!.points;

    // Act
    const rec = recommendTrainingRows(historyWith({ learningCurve: points, metric: { name: 'auc', direction: 'higher-is-better' } }), OPTIONS);

    // Assess
    expect(recommendedTrainingRowsSchema.parse(rec)).toEqual(rec);
    expect(rec).toMatchObject({ status: 'recommended', metric: 'auc', fromVersion: 'v2' });
  });

  it('fits a lower-is-better metric on its negation and gives the plateau back in its units', () => {
    // Prepare: a log loss falling to 0.25.
    const points = curves.curves.find((c) => c.name === 'known-plateau')!.points.map((p) => ({ rows: p.rows, score: 1.15 - p.score }));

    // Act
    const rec = recommendTrainingRows(historyWith({ learningCurve: points, metric: { name: 'log-loss', direction: 'lower-is-better' } }), OPTIONS);

    // Assess
    if (rec.status !== 'recommended') throw new Error(rec.message);
    expect(rec.plateau).toBeCloseTo(0.25, 2);
    expect(rec.plateauInterval[0]).toBeLessThanOrEqual(rec.plateau);
    expect(rec.plateauInterval[1]).toBeGreaterThanOrEqual(rec.plateau);
  });

  it('says why when there is no curve, or a short one', () => {
    // Act / Assess
    expect(recommendTrainingRows(undefined, OPTIONS)).toMatchObject({ status: 'omitted', reason: 'no-learning-curve' });
    expect(recommendTrainingRows(historyWith({ learningCurve: [{ rows: 10, score: 0.5 }, { rows: 20, score: 0.6 }] }), OPTIONS)).toMatchObject({ status: 'omitted', reason: 'too-few-points', fromVersion: 'v2' });
  });
});

describe('Function: planTrainingWindow / trainingWindow', () => {
  // 10 stable checks then 3 drifted ones, two signatures each; 6 keys consumed before the reference's checks.
  const history = checks([0.2, 0.25, 0.22, 0.18, 0.21, 0.24, 0.2, 0.19, 0.23, 0.2, 1.6, 1.7, 1.65]);
  const old = ['old-0', 'old-1', 'old-2', 'old-3', 'old-4', 'old-5'];
  const consumed = [...old, ...history.flatMap((c, i) => [`s${i}a`, `s${i}b`])];
  const rowsOf = new Map(consumed.map((k) => [k, { key: `batches/fraud/${k}.parquet`, rows: 1000 }]));

  it('starts the window at the onset: the batches of the drifted checks, none of the keys before the reference', () => {
    // Act
    const plan = planTrainingWindow(history, consumed);
    const window = trainingWindow(plan, rowsOf);

    // Assess
    expect(plan.onset).toEqual({ at: history[10].at, checkId: 'c10' });
    expect(window.batches.map((b) => b.key)).toEqual(['s10a', 's10b', 's11a', 's11b', 's12a', 's12b'].map((k) => `batches/fraud/${k}.parquet`));
    expect(window.rows).toBe(6000);
    expect(window.blend).toEqual([]);
    expect(plan.beforeKeys).toHaveLength(20);
    expect(plan.beforeKeys.some((k) => k.startsWith('old-'))).toBe(false);
    expect(trainingWindowSchema.parse(window)).toEqual(window);
  });

  it('blends in batches from before the onset, newest first, when the recommendation exceeds the window', () => {
    // Act
    const window = trainingWindow(planTrainingWindow(history, consumed), rowsOf, 9500);
    const short = trainingWindow(planTrainingWindow(history, consumed), rowsOf, 100_000);

    // Assess
    expect(window.blend.map((b) => b.key)).toEqual(['s9b', 's9a', 's8b', 's8a'].map((k) => `batches/fraud/${k}.parquet`));
    expect(window.blendRows).toBe(4000);
    expect(window.shortBy).toBe(0);
    expect(short.blendRows).toBe(20_000);
    expect(short.shortBy).toBe(100_000 - 26_000);
  });

  it('without an onset the window is every check since the reference, and it says so', () => {
    // Act
    const plan = planTrainingWindow(checks([0.2, 0.21, 0.19, 0.2]), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);

    // Assess
    expect(plan.onset).toBeNull();
    expect(plan.windowKeys).toHaveLength(8);
    expect(plan.reason).toMatch(/every check since the reference/);
  });

  it('maps only the newest checks that recorded their batch count (older states)', () => {
    // Prepare
    const mixed = [...checks([0.2, 0.2]).map(({ signatures: _, ...c }) => c), ...checks([0.2, 0.21, 1.5], 1)];

    // Act
    const plan = planTrainingWindow(mixed, ['x', 'y', 'z', 'p', 'q']);

    // Assess
    expect(plan.windowKeys).toEqual(['q']);
    expect(plan.beforeKeys).toEqual(['z', 'p']);
    expect(plan.reason).toMatch(/only the last 3 of 5 checks/);
  });
});
