import { describe, expect, it } from 'vitest';
import { poolSparseColumns, unseenBand, UNSEEN_BAND_SDS } from '../../../functions/core/drift/chi-square.js';
import { seeded, zipfWeights } from './random.js';

/** Counts per category of n draws over k categories with the given weights. */
function counts(random: ReturnType<typeof seeded>, weights: readonly number[], n: number): number[] {
  const out = new Array<number>(weights.length).fill(0);
  for (const i of random.choices(weights.map((_, j) => j), weights, n)) out[i] += 1;
  return out;
}

/** Current values that fall in categories the reference never saw. */
function unseenCount(reference: readonly number[], current: readonly number[]): number {
  return current.reduce((sum, c, j) => sum + (reference[j] === 0 ? c : 0), 0);
}

describe('Function: unseenBand (Good–Turing unseen mass with its own error)', () => {
  it('computes Esty’s variance plus the binomial one on a small table', () => {
    // Prepare: n = 10, f1 = 2, f2 = 1, m = 10: M = 0.2, Var(M − M0) = (2 + 2 − 0.4)/100, Var(U) = 1.6 + 3.6.
    // Act
    const band = unseenBand([1, 1, 2, 6], 10);

    // Assess
    expect(band.expected).toBeCloseTo(2, 12);
    expect(band.sd).toBeCloseTo(Math.sqrt(5.2), 12);
    expect(unseenBand([], 10)).toEqual({ expected: 0, sd: 0 });
  });

  for (const [n, m] of [
    [300, 300],
    [1000, 1000],
    [300, 1000],
  ] as const) {
    it(`covers the never-seen count of same-distribution draws, ${n} reference against ${m} current rows of 200 Zipf categories`, () => {
      // Prepare: 400 A/A draws of the bench's Zipf column (s = 1.1).
      const weights = zipfWeights(200, 1.1);
      const random = seeded(n * 7 + m);
      let outsideNew = 0;
      let outsidePoisson = 0;
      let separatePool = 0;
      const draws = 400;
      for (let d = 0; d < draws; d += 1) {
        const reference = counts(random, weights, n);
        const current = counts(random, weights, m);
        const u = unseenCount(reference, current);
        const band = unseenBand(reference, m);
        if (u > band.expected + UNSEEN_BAND_SDS * band.sd) outsideNew += 1;
        if (u > band.expected + 3 * Math.sqrt(band.expected)) outsidePoisson += 1;
        // The pool stands apart (and makes chi-square significant) only outside the band.
        const pooled = poolSparseColumns(reference, current);
        if (pooled.reference.at(-1) === 0 && pooled.current.at(-1)! > 0) separatePool += 1;
      }

      // Assess: at most 1 % outside the band (the per-dataset budget); the
      // band of 3 Poisson deviations alone, the rule before, is exceeded by 4–10 % of these draws.
      expect(outsideNew / draws).toBeLessThanOrEqual(0.01);
      expect(separatePool / draws).toBeLessThanOrEqual(0.01);
      expect(outsidePoisson / draws).toBeGreaterThan(0.03);
    });
  }

  it('keeps a fifth of the current rows spread over 40 never-seen categories apart from the rare pool', () => {
    // Prepare: 300 against 300 rows; every fifth current value is one of 40 new labels (1–2 rows each, all sparse).
    const weights = zipfWeights(200, 1.1);
    const random = seeded(11);
    let apart = 0;
    for (let d = 0; d < 50; d += 1) {
      const reference = [...counts(random, weights, 300), ...new Array<number>(40).fill(0)];
      const current = [...counts(random, weights, 240), ...Array.from({ length: 40 }, (_, j) => (j < 20 ? 2 : 1))];
      const pooled = poolSparseColumns(reference, current);
      if (pooled.reference.at(-1) === 0 && pooled.current.at(-1)! > 0) apart += 1;
    }

    // Assess
    expect(apart).toBe(50);
  });
});
