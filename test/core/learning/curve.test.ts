import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitInversePowerLaw, learningCurveHint, rowsForGainPerDoubling } from '../../../functions/core/learning/curve.js';

// Made by test/fixtures/learning/make-curves.py (scipy.optimize.curve_fit is the reference fit).
interface FixtureCurve {
  name: string;
  kind: 'recommend' | 'poor-fit' | 'too-few-points' | 'still-rising' | 'compare';
  points: { rows: number; score: number }[];
  truth: { a: number; b: number; c: number };
  scipy?: { a: number; b: number; c: number; sse: number };
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/learning/curves.json', import.meta.url), 'utf8')) as { epsilon: number; curves: FixtureCurve[] };
const OPTIONS = { epsilon: fixture.epsilon, maxExtrapolation: 4, minR2: 0.9 };
const law = (n: number, p: { a: number; b: number; c: number }): number => p.a - p.b * n ** -p.c;

describe('Function: fitInversePowerLaw', () => {
  it.each(fixture.curves.filter((c) => c.scipy !== undefined && c.kind !== 'poor-fit').map((c) => [c.name, c] as const))(
    'finds the least-squares fit scipy curve_fit finds on %s',
    (_name, curve) => {
      // Act
      const fit = fitInversePowerLaw(curve.points);

      // Assess
      const ref = curve.scipy!;
      expect(fit).toBeDefined();
      // Never worse than curve_fit's best start, and the same fitted curve at every point.
      expect(fit!.sse).toBeLessThanOrEqual(ref.sse * (1 + 1e-6) + 1e-15);
      for (const p of curve.points) expect(law(p.rows, fit!)).toBeCloseTo(law(p.rows, ref), 5);
      expect(fit!.a).toBeCloseTo(ref.a, 3);
    },
  );

  it('matches curve_fit parameters closely where they are well determined (known plateau)', () => {
    // Prepare
    const curve = fixture.curves.find((c) => c.name === 'known-plateau')!;

    // Act
    const fit = fitInversePowerLaw(curve.points)!;

    // Assess
    expect(fit.a).toBeCloseTo(curve.scipy!.a, 5);
    expect(fit.c / curve.scipy!.c).toBeCloseTo(1, 3);
    expect(fit.b / curve.scipy!.b).toBeCloseTo(1, 3);
  });
});

describe('Function: learningCurveHint', () => {
  it.each(fixture.curves.filter((c) => c.kind === 'recommend').map((c) => [c.name, c] as const))(
    'on %s (known plateau) recommends rows whose interval holds the true n*, with the plateau in its interval',
    (_name, curve) => {
      // Prepare
      const truth = rowsForGainPerDoubling(curve.truth, fixture.epsilon)!;

      // Act
      const hint = learningCurveHint(curve.points, OPTIONS);

      // Assess
      if (hint.status !== 'recommended') throw new Error(`expected a recommendation, got ${hint.message}`);
      expect(hint.interval[0]).toBeLessThanOrEqual(hint.rows);
      expect(hint.interval[1]).toBeGreaterThanOrEqual(hint.rows);
      expect(truth).toBeGreaterThanOrEqual(hint.interval[0]);
      expect(truth).toBeLessThanOrEqual(hint.interval[1]);
      expect(curve.truth.a).toBeGreaterThanOrEqual(hint.plateauInterval[0]);
      expect(curve.truth.a).toBeLessThanOrEqual(hint.plateauInterval[1]);
    },
  );

  it.each(fixture.curves.filter((c) => ['poor-fit', 'too-few-points', 'still-rising'].includes(c.kind)).map((c) => [c.name, c] as const))(
    'gives no hint on %s and says why',
    (_name, curve) => {
      // Act
      const hint = learningCurveHint(curve.points, OPTIONS);

      // Assess
      expect(hint.status).toBe('omitted');
      if (hint.status === 'omitted') {
        expect(hint.reason).toBe(curve.kind);
        expect(hint.message.length).toBeGreaterThan(20);
      }
    },
  );

  it('is deterministic for a seed', () => {
    // Prepare
    const curve = fixture.curves.find((c) => c.name === 'known-plateau')!;

    // Act / Assess
    expect(learningCurveHint(curve.points, { ...OPTIONS, seed: 5 })).toEqual(learningCurveHint(curve.points, { ...OPTIONS, seed: 5 }));
  });

  it('does not fit a falling curve (a loss not negated): poor fit', () => {
    // Act
    const hint = learningCurveHint([1000, 2000, 4000, 8000, 16000].map((rows) => ({ rows, score: 0.2 + 3 * rows ** -0.5 })), OPTIONS);

    // Assess
    expect(hint).toMatchObject({ status: 'omitted', reason: 'poor-fit' });
  });
});
