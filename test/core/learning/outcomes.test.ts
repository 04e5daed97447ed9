import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/core/errors.js';
import { isRetrainLesson, latestLearningCurve, outcomeOf, retrainGain, withOutcome } from '../../../functions/core/learning/outcomes.js';
import { buildAdoptionManifest, parseAdoptionManifest } from '../../../functions/core/lifecycle/adoption.js';
import { outcomesSection } from '../../../functions/core/report/outcomes-chart.js';

const BASE = { schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'] };
const PROPOSAL = { proposalId: 'p1', reasons: { driftIndex: 1.8, driftedFeatures: [{ name: 'amount' }, { name: 'country' }] }, decision: { action: 'approve', actor: 'ana@example.com' } };

describe('Function: parseAdoptionManifest (retrain outcome fields)', () => {
  it('accepts a manifest without the new fields (backward compatible) and one with all of them', () => {
    // Act
    const plain = parseAdoptionManifest(BASE, 'm.json');
    const full = parseAdoptionManifest(
      { ...BASE, validationScore: 0.91, previousScore: 0.88, metric: { name: 'auc', direction: 'higher-is-better' }, learningCurve: [{ rows: 1000, score: 0.8 }], status: 'adopted' },
      'm.json',
    );

    // Assess
    expect(plain.status).toBeUndefined();
    expect(full).toMatchObject({ validationScore: 0.91, metric: { name: 'auc' }, status: 'adopted' });
  });

  it.each([
    [{ status: 'maybe' }, 'status'],
    [{ metric: { name: 'auc', direction: 'up' } }, 'metric.direction'],
    [{ learningCurve: [{ rows: 0, score: 1 }] }, 'learningCurve[0].rows'],
    [{ learningCurve: [{ rows: 10, score: 1 }, { rows: 10, score: 2 }] }, 'each row count once'],
    [{ validationScore: 'high' }, 'validationScore'],
  ])('refuses %j, naming %s', (extra, named) => {
    // Act
    let error: unknown;
    try {
      parseAdoptionManifest({ ...BASE, ...extra }, 'adoptions/fraud/v2.json');
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(String((error as Error).message)).toContain(named);
    expect(String((error as Error).message)).toContain('adoptions/fraud/v2.json');
  });

  it('builds a manifest that carries only the outcome fields given', () => {
    // Act
    const { manifest } = buildAdoptionManifest({ modelId: 'fraud', version: 'v3', trainingData: ['training/fraud/v3/a.parquet'], status: 'failed' });

    // Assess
    expect(manifest.status).toBe('failed');
    expect('validationScore' in manifest).toBe(false);
  });
});

describe('Function: outcomeOf', () => {
  it('signs the gain by the metric direction: > 0 is always an improvement', () => {
    // Prepare
    const auc = { validationScore: 0.9, previousScore: 0.85, metric: { name: 'auc', direction: 'higher-is-better' as const } };
    const loss = { validationScore: 0.30, previousScore: 0.35, metric: { name: 'log-loss', direction: 'lower-is-better' as const } };

    // Act / Assess
    expect(retrainGain(auc)).toBeCloseTo(0.05, 12);
    expect(retrainGain(loss)).toBeCloseTo(0.05, 12);
    expect(retrainGain({ validationScore: 0.9 })).toBeNull();
  });

  it('joins what drifted and what was decided (the proposal) with what the retrain gained (the manifest)', () => {
    // Prepare
    const manifest = parseAdoptionManifest({ ...BASE, validationScore: 0.9, previousScore: 0.85, metric: { name: 'auc', direction: 'higher-is-better' }, learningCurve: [{ rows: 4000, score: 0.88 }, { rows: 1000, score: 0.8 }] }, 'm');

    // Act
    const outcome = outcomeOf(manifest, PROPOSAL, '2026-03-01T00:00:00.000Z');

    // Assess
    expect(outcome).toMatchObject({ version: 'v2', status: 'adopted', proposalId: 'p1', drifted: ['amount', 'country'], driftIndex: 1.8, decision: { action: 'approve', actor: 'ana@example.com' } });
    expect(outcome.learningCurve.map((p) => p.rows)).toEqual([1000, 4000]);
    expect(isRetrainLesson(outcome)).toBe(false);
  });
});

describe('Function: withOutcome', () => {
  it('records once per version and status, keeps a rollback as its own entry, and finds the newest curve', () => {
    // Prepare
    const adopted = outcomeOf(parseAdoptionManifest({ ...BASE, learningCurve: [{ rows: 10, score: 1 }] }, 'm'), PROPOSAL, '2026-03-01T00:00:00.000Z');
    const rolledBack = outcomeOf(parseAdoptionManifest({ ...BASE, status: 'rolled-back' }, 'm'), PROPOSAL, '2026-03-02T00:00:00.000Z');

    // Act
    const first = withOutcome(undefined, 'fraud', adopted);
    const again = withOutcome(first ?? undefined, 'fraud', { ...adopted, at: '2026-03-01T01:00:00.000Z' });
    const second = withOutcome(first ?? undefined, 'fraud', rolledBack);

    // Assess
    expect(first?.outcomes).toHaveLength(1);
    expect(again).toBeNull();
    expect(second?.outcomes.map((o) => o.status)).toEqual(['adopted', 'rolled-back']);
    expect(second?.outcomes.filter(isRetrainLesson).map((o) => o.version)).toEqual(['v2']);
    expect(latestLearningCurve(second ?? undefined)?.points).toEqual([{ rows: 10, score: 1 }]);
  });
});

describe('Function: outcomesSection', () => {
  it('renders a table row and a plot mark per retrain, escaping every data string', () => {
    // Prepare
    const hostile = outcomeOf(
      parseAdoptionManifest({ ...BASE, version: 'v3', validationScore: 0.7, previousScore: 0.9, metric: { name: '<script>x</script>', direction: 'higher-is-better' }, status: 'failed' }, 'm'),
      { ...PROPOSAL, reasons: { driftIndex: 2, driftedFeatures: [{ name: '<img src=x onerror=alert(1)>' }] } },
      '2026-03-03T00:00:00.000Z',
    );
    const good = outcomeOf(parseAdoptionManifest({ ...BASE, validationScore: 0.9, previousScore: 0.85, metric: { name: 'auc', direction: 'higher-is-better' } }, 'm'), PROPOSAL, '2026-03-01T00:00:00.000Z');

    // Act
    const html = outcomesSection([good, hostile]);

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html.match(/<tr class="outcome /g)).toHaveLength(2);
    expect(html).toContain('class="mark point lesson"');
    expect(html).toContain('class="mark point adopted"');
    expect(html).toContain('−0.2');
    expect(outcomesSection([])).toBe('');
  });
});
