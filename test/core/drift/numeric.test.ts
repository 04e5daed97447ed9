import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ksFromSketches, outOfRangeShare, sketchResolves, wassersteinFromSketches, wassersteinNorm } from '../../../functions/core/drift/index.js';
import { MIN_INDEXABLE, numericSignatureOf, sketchBoundaries, sketchCdf } from '../../../functions/core/signature/index.js';

/** Values with both signs, exact zeros and ties, over several magnitudes. */
const values = fc.array(
  fc.oneof(
    fc.double({ min: -1000, max: 1000, noNaN: true }),
    fc.constantFrom(0, 1, -1, 2.5),
    fc.integer({ min: -20, max: 20 }),
  ),
  { minLength: 1, maxLength: 300 },
);

/** The same statistics the slow way: the public sketch CDF evaluated at every bucket boundary. */
function viaBoundaries(a: ReturnType<typeof numericSignatureOf>, b: ReturnType<typeof numericSignatureOf>): { d: number; w: number } {
  const points = sketchBoundaries(a.sketch, b.sketch);
  const diff = (x: number): number => sketchCdf(a.sketch, x) - sketchCdf(b.sketch, x);
  const leftOfZero = (): number => diff(-MIN_INDEXABLE);
  let d = 0;
  let w = 0;
  for (let i = 0; i < points.length; i += 1) {
    d = Math.max(d, Math.abs(diff(points[i])));
    if (points[i] === 0) d = Math.max(d, Math.abs(leftOfZero()));
    if (i + 1 < points.length) {
      const d0 = diff(points[i]);
      const d1 = points[i + 1] === 0 ? leftOfZero() : diff(points[i + 1]);
      const width = points[i + 1] - points[i];
      w += d0 * d1 >= 0 ? (width * (Math.abs(d0) + Math.abs(d1))) / 2 : (width * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
    }
  }
  return { d, w };
}

describe('Function: ksFromSketches / wassersteinFromSketches', () => {
  it('equal the statistics evaluated through sketchCdf at every bucket boundary', () => {
    fc.assert(
      fc.property(values, values, (xs, ys) => {
        // Prepare
        const a = numericSignatureOf(xs);
        const b = numericSignatureOf(ys);

        // Act
        const ks = ksFromSketches(a.sketch, b.sketch);
        const w = wassersteinFromSketches(a.sketch, b.sketch);

        // Assess
        const slow = viaBoundaries(a, b);
        expect(Math.abs(ks.statistic - slow.d)).toBeLessThan(1e-12);
        expect(Math.abs(w - slow.w)).toBeLessThanOrEqual(1e-9 * Math.max(1, slow.w));
      }),
      { numRuns: 150 },
    );
  });

  it('are 0 and p = 1 for identical or empty sketches', () => {
    // Prepare
    const a = numericSignatureOf([1, 2, 3, -4, 0]);
    const empty = numericSignatureOf([null]);

    // Act / Assess
    expect(ksFromSketches(a.sketch, a.sketch)).toEqual({ statistic: 0, pValue: 1, n: 5, m: 5 });
    expect(wassersteinFromSketches(a.sketch, a.sketch)).toBe(0);
    expect(ksFromSketches(a.sketch, empty.sketch).pValue).toBe(1);
    expect(wassersteinFromSketches(empty.sketch, a.sketch)).toBe(0);
  });

  it('measures a pure point-mass move exactly: all zeros vs all ones is W = 1 within the bucket width', () => {
    // Act
    const w = wassersteinFromSketches(numericSignatureOf(Array(50).fill(0)).sketch, numericSignatureOf(Array(50).fill(1)).sketch);

    // Assess: the ones are spread over their bucket (1/γ, 1], so the distance is just under 1.
    expect(w).toBeGreaterThan(0.99);
    expect(w).toBeLessThanOrEqual(1);
  });
});

describe('Function: outOfRangeShare', () => {
  it('is exactly 0 inside the range, exactly 1 beyond it, and counts whole buckets in between', () => {
    // Prepare
    const reference = numericSignatureOf(Array.from({ length: 101 }, (_, i) => i)); // 0..100
    const inside = numericSignatureOf([0, 50, 100]);
    const beyond = numericSignatureOf([200, 300]);
    const partly = numericSignatureOf([-10, -5, 50, 60, 150, 160, 170, 180]);

    // Act / Assess
    expect(outOfRangeShare(reference, inside)).toBe(0);
    expect(outOfRangeShare(reference, beyond)).toBe(1);
    expect(outOfRangeShare(reference, partly)).toBe(6 / 8);
  });
});

describe('Function: sketchResolves / wassersteinNorm', () => {
  it('flags columns far from 0 with a small spread, and keeps their mean shift visible', () => {
    // Prepare: epoch milliseconds one hour apart; a bucket there is ~2e10 ms wide.
    const hour = 3_600_000;
    const base = Date.UTC(2026, 0, 1);
    const reference = numericSignatureOf(Array.from({ length: 100 }, (_, i) => base + i * hour));
    const later = numericSignatureOf(Array.from({ length: 100 }, (_, i) => base + (i + 100) * hour));
    const ordinary = numericSignatureOf(Array.from({ length: 100 }, (_, i) => i));

    // Act / Assess
    expect(sketchResolves(reference)).toBe(false);
    expect(sketchResolves(ordinary)).toBe(true);
    expect(wassersteinFromSketches(reference.sketch, later.sketch)).toBe(0); // same bucket: invisible to the sketch
    expect(wassersteinNorm(reference, later)).toBeCloseTo(100 / Math.sqrt((100 * 100 - 1) / 12), 6); // |Δmean| / σ
  });
});
