import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_BUCKETS,
  sketchBoundaries,
  sketchCdf,
  sketchCount,
  sketchQuantile,
} from '../../../functions/core/signature/index.js';
import {
  MIN_INDEXABLE,
  SketchBuilder,
  bucketUpper,
  fastBucketKey,
  mergeSketches,
  sketchEdges,
  sketchHistogram,
  sketchMapping,
} from '../../../functions/core/signature/sketch.js';
import { lowerQuantile, normals, prng } from './helpers.js';

// A fixed seed keeps the property runs deterministic (fast-check prints it on failure anyway).
fc.configureGlobal({ seed: 20_261_126 });

const ALPHA = 0.005;
const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function sketchOf(values: readonly number[], alpha = ALPHA) {
  const b = new SketchBuilder(alpha);
  for (const v of values) b.addValue(v);
  return b.toJson();
}

const rnd = prng(42);
const distributions: Record<string, number[]> = {
  uniform: Array.from({ length: 20_000 }, () => rnd() * 100),
  'normal around 0 (negatives)': normals(rnd, 20_000).map((x) => x * 3),
  lognormal: normals(rnd, 20_000).map((x) => Math.exp(2 * x)),
  'ties and zeros': Array.from({ length: 20_000 }, (_, i) => [0, 0, 1, 1, 1, 2, -5, 7.5][i % 8]),
  // 16 decades each side: within the 4096 buckets one store keeps (collapse is tested apart).
  'huge and tiny magnitudes': Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? 1 : -1) * 10 ** (-8 + 16 * rnd())),
  'all negative': normals(rnd, 5_000).map((x) => -Math.exp(x)),
};

describe('Function: sketchQuantile', () => {
  for (const [name, values] of Object.entries(distributions)) {
    it(`is within relative error α of the exact lower quantile: ${name}`, () => {
      // Prepare
      const sorted = [...values].sort((a, b) => a - b);
      const sketch = sketchOf(values);

      // Act
      const estimates = QS.map((q) => sketchQuantile(sketch, q)!);

      // Assess
      QS.forEach((q, i) => {
        const exact = lowerQuantile(sorted, q);
        // α plus a few ulps for values that land exactly on a bucket boundary.
        expect(Math.abs(estimates[i] - exact), `q=${q}`).toBeLessThanOrEqual(ALPHA * Math.abs(exact) * (1 + 1e-9) + 1e-9);
      });
      expect(sketchCount(sketch)).toBe(values.length);
    });
  }

  it('returns null on an empty sketch and rejects q outside [0, 1]', () => {
    // Prepare
    const empty = sketchOf([]);

    // Act
    const q = sketchQuantile(empty, 0.5);

    // Assess
    expect(q).toBeNull();
    expect(() => sketchQuantile(sketchOf([1]), 1.5)).toThrow(RangeError);
  });

  it('honours a coarser relative accuracy', () => {
    // Prepare
    const values = distributions.lognormal;
    const sorted = [...values].sort((a, b) => a - b);

    // Act
    const sketch = sketchOf(values, 0.02);

    // Assess
    for (const q of QS) {
      const exact = lowerQuantile(sorted, q);
      expect(Math.abs(sketchQuantile(sketch, q)! - exact)).toBeLessThanOrEqual(0.02 * exact * (1 + 1e-9));
    }
    expect(sketch.positive.counts.length).toBeLessThan(sketchOf(values).positive.counts.length);
  });
});

/** The linear scan sketchQuantile replaced (binary search on cumulative counts): the rank's bucket, walked to. */
function scannedQuantile(sketch: ReturnType<SketchBuilder['toJson']>, q: number): number | null {
  const n = sketchCount(sketch);
  if (n === 0) return null;
  const rank = Math.floor(q * (n - 1));
  const { gamma } = sketchMapping(sketch.relativeAccuracy);
  let acc = 0;
  for (let i = sketch.negative.counts.length - 1; i >= 0; i--) {
    acc += sketch.negative.counts[i];
    if (acc > rank) return (-2 * bucketUpper(gamma, sketch.negative.offset + i)) / (gamma + 1);
  }
  acc += sketch.zeroCount;
  if (acc > rank) return 0;
  for (let i = 0; i < sketch.positive.counts.length; i++) {
    acc += sketch.positive.counts[i];
    if (acc > rank) return (2 * bucketUpper(gamma, sketch.positive.offset + i)) / (gamma + 1);
  }
  return null;
}

describe('Function: sketchQuantile (property: the bucket a linear scan finds)', () => {
  it('equals the linear scan at every quantile, on sketches with empty buckets, zeros and both signs', () => {
    const counts = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 40 });
    fc.assert(
      fc.property(counts, counts, fc.nat(5), fc.integer({ min: -300, max: 300 }), fc.integer({ min: -300, max: 300 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), (neg, pos, zeros, negOffset, posOffset, qs) => {
        const sketch = { type: 'ddsketch' as const, relativeAccuracy: 0.01, zeroCount: zeros, positive: { offset: posOffset, counts: pos }, negative: { offset: negOffset, counts: neg } };
        for (const q of [0, 0.5, 1, ...qs]) expect(sketchQuantile(sketch, q), `q=${q}`).toBe(scannedQuantile(sketch, q));
      }),
      { numRuns: 500, seed: 20261202 },
    );
  });
});

describe('Function: SketchBuilder (collapsing store)', () => {
  it('keeps at most MAX_BUCKETS per sign, collapsing the smallest magnitudes, and loses no count', () => {
    // Prepare: magnitudes from 1e-8 to 1e300 need ~70 000 buckets at α = 0.005.
    const values = Array.from({ length: 50_000 }, (_, i) => 10 ** (-8 + (308 * i) / 50_000));
    const sorted = [...values].sort((a, b) => a - b);

    // Act
    const sketch = sketchOf(values);

    // Assess
    expect(sketch.positive.counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(sketchCount(sketch)).toBe(values.length);
    // The top of the distribution keeps its accuracy.
    for (const q of [0.99, 0.999, 1]) {
      const exact = lowerQuantile(sorted, q);
      expect(Math.abs(sketchQuantile(sketch, q)! - exact)).toBeLessThanOrEqual(ALPHA * exact * (1 + 1e-9));
    }
    // The bottom collapsed: its estimate is larger than the true value.
    expect(sketchQuantile(sketch, 0)!).toBeGreaterThan(sorted[0] * 2);
  });

  it('collapses to the same buckets whatever the insertion order (exact merge)', () => {
    // Prepare
    const values = Array.from({ length: 20_000 }, (_, i) => 10 ** (-8 + (300 * ((i * 7919) % 20_000)) / 20_000));
    const reversed = [...values].reverse();
    const half = values.length / 2;

    // Act
    const forward = sketchOf(values);
    const backward = sketchOf(reversed);
    const merged = mergeSketches(sketchOf(values.slice(0, half)), sketchOf(values.slice(half)));

    // Assess
    expect(backward).toEqual(forward);
    expect(merged).toEqual(forward);
  });
});

describe('Function: mergeSketches (property)', () => {
  it('merge(sk(A), sk(B)) equals sk(A ∪ B) bit for bit over the whole double range, collapsing included', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 300 }), fc.array(finite, { maxLength: 300 }), (a, b) => {
        // Prepare
        const whole = sketchOf([...a, ...b]);

        // Act
        const merged = mergeSketches(sketchOf(a), sketchOf(b));

        // Assess
        expect(merged).toEqual(whole);
        expect(sketchCount(merged)).toBe(a.length + b.length);
        expect(merged.positive.counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
        expect(merged.negative.counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: sketchCdf', () => {
  it('is exact at every bucket boundary and interpolates between', () => {
    // Prepare
    const values = distributions['normal around 0 (negatives)'];
    const sketch = sketchOf(values);
    const boundaries = sketchBoundaries(sketch, sketch);

    // Act
    const cdfs = boundaries.map((b) => sketchCdf(sketch, b));

    // Assess
    const sorted = [...values].sort((a, b) => a - b);
    boundaries.forEach((b, i) => {
      const exact = countAtMost(sorted, b) / values.length;
      // Boundaries are exact up to values lying on them; with continuous data the slack is at most a couple.
      expect(Math.abs(cdfs[i] - exact), `boundary ${b}`).toBeLessThanOrEqual(2 / values.length);
    });
    for (let i = 1; i < cdfs.length; i++) expect(cdfs[i]).toBeGreaterThanOrEqual(cdfs[i - 1]);
    expect(sketchCdf(sketch, -Infinity)).toBe(0);
    expect(sketchCdf(sketch, Infinity)).toBe(1);
    expect(sketchCdf(sketch, boundaries[boundaries.length - 1])).toBe(1);
    expect(sketchCdf(sketch, boundaries[0])).toBe(0);
  });

  it('counts the zero bucket as a point mass at 0', () => {
    // Prepare
    const sketch = sketchOf([-1, 0, 0, 1e-12, 2]);

    // Act
    const below = sketchCdf(sketch, -1e-10);
    const at = sketchCdf(sketch, 0);

    // Assess
    expect(below).toBe(1 / 5);
    expect(at).toBe(4 / 5);
  });
});

describe('Function: sketchBoundaries', () => {
  it('returns sorted distinct boundaries of both sketches including zero', () => {
    // Prepare
    const a = sketchOf([1, 2, 3]);
    const b = sketchOf([-10, 100]);

    // Act
    const points = sketchBoundaries(a, b);

    // Assess
    expect(points).toContain(0);
    expect([...points].sort((x, y) => x - y)).toEqual(points);
    expect(new Set(points).size).toBe(points.length);
    // Two boundaries per non-empty bucket, plus zero (no shared buckets here).
    expect(points.length).toBe(2 * 5 + 1);
  });

  it('refuses sketches with different relative accuracy', () => {
    // Prepare
    const a = sketchOf([1], 0.005);
    const b = sketchOf([1], 0.01);

    // Act
    const act = () => sketchBoundaries(a, b);

    // Assess
    expect(act).toThrow(/relative accuracy/);
  });
});

describe('Function: sketchEdges', () => {
  it('chooses deduplicated edges at bucket boundaries near the i/B quantiles, with exact counts', () => {
    // Prepare
    const values = distributions.uniform;
    const sketch = sketchOf(values);

    // Act
    const edges = sketchEdges(sketch, 10);
    const counts = sketchHistogram(sketch, edges);

    // Assess
    expect(edges).toHaveLength(9);
    counts.forEach((c) => expect(Number.isInteger(c)).toBe(true));
    expect(counts.reduce((s, c) => s + c, 0)).toBe(values.length);
    const sorted = [...values].sort((a, b) => a - b);
    edges.forEach((e, i) => {
      // The upper boundary of the bucket holding the quantile: at most one bucket width (2α relative) above it.
      const q = lowerQuantile(sorted, (i + 1) / 10);
      expect(e).toBeGreaterThanOrEqual(q);
      expect(e).toBeLessThanOrEqual(q * ((1 + ALPHA) / (1 - ALPHA)) * (1 + 1e-9));
      const exactBelow = values.filter((v) => v <= e).length;
      const fromSketch = counts.slice(0, i + 1).reduce((s, c) => s + c, 0);
      expect(Math.abs(fromSketch - exactBelow)).toBeLessThanOrEqual(1);
    });
    expect(sketchEdges(sketchOf(Array(100).fill(3)), 10)).toHaveLength(1);
  });
});

/** Number of sorted values <= x (binary search). */
function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe('Function: fastBucketKey', () => {
  const definition = (alpha: number, a: number): number => Math.ceil(Math.log(a) * sketchMapping(alpha).invLogGamma);

  it('equals ceil(log(a) / log γ) for any magnitude above MIN_INDEXABLE (property)', () => {
    // Prepare
    const magnitude = fc.double({ min: MIN_INDEXABLE, max: Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true });
    const alpha = fc.constantFrom(0.005, 0.01, 0.05, 0.001, 1e-4, 0.3);

    // Act + Assess
    fc.assert(
      fc.property(alpha, magnitude, (a, x) => {
        fc.pre(x > MIN_INDEXABLE);
        expect(fastBucketKey(sketchMapping(a), x)).toBe(definition(a, x));
      }),
      { numRuns: 20_000 },
    );
  });

  it('equals the definition on and next to every bucket boundary from 1e-9 to 1e300', () => {
    // Prepare
    const mismatches: string[] = [];
    const bits = new Float64Array(1);
    const words = new BigInt64Array(bits.buffer);
    const neighbour = (x: number, step: bigint): number => {
      bits[0] = x;
      words[0] += step;
      return bits[0];
    };

    // Act
    for (const alpha of [0.005, 0.01, 1e-4]) {
      const mapping = sketchMapping(alpha);
      const first = definition(alpha, 2 * MIN_INDEXABLE);
      const last = definition(alpha, 1e300);
      const stride = Math.max(1, Math.floor((last - first) / 20_000));
      for (let k = first; k <= last; k += stride) {
        const boundary = bucketUpper(mapping.gamma, k);
        for (const step of [-3n, -2n, -1n, 0n, 1n, 2n, 3n]) {
          const x = neighbour(boundary, step);
          const key = fastBucketKey(mapping, x);
          if (key !== definition(alpha, x)) mismatches.push(`α=${alpha} x=${x}: ${key}`);
        }
      }
    }

    // Assess
    expect(mismatches).toEqual([]);
  });
});
