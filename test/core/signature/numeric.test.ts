import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  histogramOn,
  numericSignatureOf,
  sketchQuantile,
  variance,
} from '../../../functions/core/signature/index.js';
import { NumericAccumulator, combineMoments, mergeNumeric } from '../../../functions/core/signature/numeric.js';
import { close, lowerQuantile, normals, numericChunk, prng } from './helpers.js';

interface ExpectedCase {
  values: number[];
  mean: number;
  variance: number;
  min: number;
  max: number;
  quantiles: Record<string, number>;
  edges: number[];
  counts: number[];
}

// Made by fixtures/make-numeric-fixture.py (numpy/scipy).
const expected = JSON.parse(
  readFileSync(new URL('./fixtures/numeric-expected.json', import.meta.url), 'utf8'),
) as Record<string, ExpectedCase>;

function naiveMoments(values: readonly number[]): { mean: number; m2: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return { mean, m2: values.reduce((s, v) => s + (v - mean) ** 2, 0) };
}

function chunked(values: readonly (number | null)[], size: number, edges?: readonly number[]) {
  const acc = new NumericAccumulator('float', { edges });
  for (let i = 0; i < values.length; i += size) acc.add(numericChunk(values.slice(i, i + size)));
  return acc.finish();
}

describe('Function: numericSignatureOf (against numpy/scipy)', () => {
  for (const [name, c] of Object.entries(expected)) {
    it(`matches scipy's moments, numpy's quantiles and histogram: ${name}`, () => {
      // Prepare
      const values = c.values;

      // Act
      const sig = chunked(values, 700, c.edges);

      // Assess
      expect(sig.finite).toBe(values.length);
      expect(sig.min).toBe(c.min);
      expect(sig.max).toBe(c.max);
      expect(close(sig.mean, c.mean, 1e-12)).toBe(true);
      // Chunked moments: ~1e-9 relative is the floor when the mean is 1e9 times the spread (large-offset).
      expect(close(variance(sig), c.variance, name === 'large-offset' ? 1e-8 : 1e-11)).toBe(true);
      for (const [q, exact] of Object.entries(c.quantiles)) {
        const estimate = sketchQuantile(sig.sketch, Number(q))!;
        expect(Math.abs(estimate - exact), `q=${q}`).toBeLessThanOrEqual(0.005 * Math.abs(exact) * (1 + 1e-9) + 1e-9);
      }
      expect(sig.histogram).toEqual({ edges: c.edges, counts: c.counts });
    });
  }
});

describe('Function: NumericAccumulator', () => {
  it('counts nulls, NaN and ±Infinity apart and keeps them out of the moments', () => {
    // Prepare
    const values = [1, null, NaN, Infinity, -Infinity, 3, null, Infinity, 5];

    // Act
    const sig = numericSignatureOf(values);

    // Assess
    expect(sig).toMatchObject({ count: 9, nulls: 2, nan: 1, posInf: 2, negInf: 1, finite: 3, min: 1, max: 5, mean: 3 });
    expect(sig.m2).toBeCloseTo(8, 12);
    expect(variance(sig)).toBeCloseTo(8 / 3, 12);
  });

  it('matches a naive two-pass computation across chunk sizes', () => {
    // Prepare
    const rnd = prng(7);
    const values = normals(rnd, 10_000).map((x) => 1e6 + 3 * x);
    const naive = naiveMoments(values);

    // Act
    const results = [1, 13, 1000, 10_000].map((size) => chunked(values, size));

    // Assess
    for (const sig of results) {
      expect(close(sig.mean, naive.mean, 1e-12)).toBe(true);
      expect(close(sig.m2, naive.m2, 1e-9)).toBe(true);
    }
  });

  it('keeps m2 accurate when a chunk lies far from the running mean or starts with an outlier', () => {
    // Prepare: chunk 1 near 0, chunk 2 at 1e9 ± 1 (far from the running mean), chunk 3 led by an outlier.
    const rnd = prng(11);
    const near = normals(rnd, 5000);
    const far = normals(rnd, 5000).map((x) => 1e9 + x);
    const outlier = [1e12, ...normals(rnd, 4999).map((x) => 1e9 + x)];
    const cases = [far, [...near, ...far], [...far, ...near], outlier, [...outlier, ...far]];

    // Act
    const results = cases.map((values) => ({ naive: naiveMoments(values), sig: chunked(values, 5000) }));

    // Assess
    for (const { naive, sig } of results) {
      expect(close(sig.mean, naive.mean, 1e-12)).toBe(true);
      expect(close(sig.m2, naive.m2, 1e-9)).toBe(true);
    }
  });

  it('reports an all-missing column with null min/max, zero moments and no histogram', () => {
    // Prepare
    const values = [null, NaN, null];

    // Act
    const sig = numericSignatureOf(values);

    // Assess
    expect(sig).toMatchObject({ count: 3, nulls: 2, nan: 1, finite: 0, min: null, max: null, mean: 0, m2: 0, histogram: null });
    expect(variance(sig)).toBe(0);
    expect(sketchQuantile(sig.sketch, 0.5)).toBeNull();
  });

  it('does not overflow the mean for values near the largest double', () => {
    // Prepare
    const values = [1.5e308, 1.5e308, 1.7e308];

    // Act
    const sig = numericSignatureOf(values);

    // Assess
    expect(Number.isFinite(sig.mean)).toBe(true);
    expect(close(sig.mean, 1.5666666666666667e308, 1e-12)).toBe(true);
    expect(sig.m2).toBe(Number.MAX_VALUE);
  });

  it('counts exactly on given edges with bins (−∞, e0], (e0, e1], …, (e_last, ∞)', () => {
    // Prepare
    const edges = [0, 1, 2.5];
    const values = [-3, 0, 0.5, 1, 1.0000001, 2.5, 2.6, 100, NaN, Infinity, null];

    // Act
    const sig = numericSignatureOf(values, { edges });

    // Assess
    expect(sig.histogram).toEqual({ edges, counts: [2, 2, 2, 2] });
  });

  it('chooses reference edges from the sketch when none are given (20 bins, counts sum to finite)', () => {
    // Prepare
    const rnd = prng(3);
    const values = normals(rnd, 5_000);
    const sorted = [...values].sort((a, b) => a - b);

    // Act
    const sig = numericSignatureOf(values);

    // Assess
    const h = sig.histogram!;
    expect(h.edges).toHaveLength(19);
    expect(h.counts.reduce((s, c) => s + c, 0)).toBe(5_000);
    // Each bin holds about 1/20 of the data (approximate to the sketch's bucket width).
    for (const c of h.counts) expect(Math.abs(c - 250)).toBeLessThanOrEqual(40);
    // Edges sit at most one bucket above the i/20 quantile.
    h.edges.forEach((e, i) => {
      const q = lowerQuantile(sorted, (i + 1) / 20);
      expect(Math.abs(e - q)).toBeLessThanOrEqual(0.0101 * Math.abs(q) + 1e-9);
    });
  });
});

describe('Function: NumericAccumulator (histogram on a reference\'s edges)', () => {
  function naiveCounts(values: readonly number[], edges: readonly number[]): number[] {
    const counts = new Array(edges.length + 1).fill(0);
    for (const v of values) if (Number.isFinite(v)) counts[edges.filter((e) => e < v).length]++;
    return counts;
  }

  it('gives the same exact counts per value (small chunks) and by bucket deltas (large chunks)', () => {
    // Prepare: a reference's edges are bucket boundaries, so large chunks take the bucket-delta path.
    const rnd = prng(21);
    const edges = numericSignatureOf(normals(rnd, 5_000).map((x) => 3 * x)).histogram!.edges;
    const values = [...normals(rnd, 30_000).map((x) => 3 * x + 0.5), 0, 1e-12, -1e-12, NaN, Infinity];
    // Values exactly on an edge (a bucket boundary) are binned by their bucket: the same on both paths.
    const withEdgeValues = [...values, ...edges];

    // Act
    const small = chunked(values, 500, edges);
    const large = chunked(values, values.length, edges);
    const smallOnEdges = chunked(withEdgeValues, 500, edges);
    const largeOnEdges = chunked(withEdgeValues, withEdgeValues.length, edges);

    // Assess
    expect(small.histogram!.counts).toEqual(naiveCounts(values, edges));
    expect(large.histogram).toEqual(small.histogram);
    expect(largeOnEdges.histogram).toEqual(smallOnEdges.histogram);
    const extra = smallOnEdges.histogram!.counts.map((c, i) => c - small.histogram!.counts[i]);
    expect(extra.reduce((a, b) => a + b, 0)).toBe(edges.length);
  });

  it('falls back to exact per-value bins when a store collapses inside a large chunk', () => {
    // Prepare: magnitudes over 300 decades force the collapsing store.
    const edges = numericSignatureOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).histogram!.edges;
    const values = Array.from({ length: 20_000 }, (_, i) => 10 ** (-8 + (300 * ((i * 7919) % 20_000)) / 20_000));

    // Act
    const large = chunked(values, values.length, edges);

    // Assess
    expect(large.sketch.positive.counts.length).toBe(4096);
    expect(large.histogram!.counts).toEqual(naiveCounts(values, edges));
  });
});

describe('Function: histogramOn', () => {
  it('returns the stored counts when the edges match and sketch-derived counts otherwise', () => {
    // Prepare
    const rnd = prng(11);
    const values = normals(rnd, 4_000).map((x) => 10 + x);
    const edges = [9, 10, 11];
    const sig = numericSignatureOf(values, { edges });
    const exact = [0, 0, 0, 0];
    for (const v of values) exact[v <= 9 ? 0 : v <= 10 ? 1 : v <= 11 ? 2 : 3]++;

    // Act
    const same = histogramOn(sig, edges);
    const other = histogramOn(sig, [9.5, 10.5]);

    // Assess
    expect(same).toEqual(exact);
    expect(other.reduce((s, c) => s + c, 0)).toBeCloseTo(4_000, 9);
    const exactOther = [values.filter((v) => v <= 9.5).length, values.filter((v) => v > 9.5 && v <= 10.5).length];
    // Within the data that falls in the one bucket around each edge (bucket width ≈ 1% of 10).
    expect(Math.abs(other[0] - exactOther[0])).toBeLessThanOrEqual(40);
    expect(Math.abs(other[1] - exactOther[1])).toBeLessThanOrEqual(80);
  });
});

describe('Function: mergeNumeric', () => {
  it('adds histograms with equal edges and recounts the merged sketch on the first edges otherwise', () => {
    // Prepare
    const a = numericSignatureOf([1, 2, 3, 4], { edges: [2, 3] });
    const b = numericSignatureOf([2.5, 10], { edges: [2, 3] });
    const c = numericSignatureOf([2.5, 10], { edges: [5] });

    // Act
    const same = mergeNumeric(a, b);
    const different = mergeNumeric(a, c);

    // Assess
    expect(same.histogram).toEqual({ edges: [2, 3], counts: [2, 2, 2] });
    expect(different.histogram!.edges).toEqual([2, 3]);
    expect(different.histogram!.counts.reduce((s, x) => s + x, 0)).toBeCloseTo(6, 9);
    expect(different.sketch).toEqual(same.sketch);
    expect(same).toMatchObject({ count: 6, finite: 6, min: 1, max: 10 });
    expect(same.mean).toBeCloseTo(22.5 / 6, 12);
  });
});

describe('Function: combineMoments', () => {
  it('is symmetric bit for bit', () => {
    // Prepare
    const a = [3, 1.2345678, 0.5] as const;
    const b = [7, -4.5, 12.25] as const;

    // Act
    const ab = combineMoments(...a, ...b);
    const ba = combineMoments(...b, ...a);

    // Assess
    expect(ab).toEqual(ba);
    expect(ab.mean).toBeCloseTo((3 * 1.2345678 + 7 * -4.5) / 10, 12);
  });
});

describe('Function: NumericAccumulator (a chunk scanned in blocks)', () => {
  it('a chunk spanning several scan blocks counts every value once, with nulls and specials at block edges', () => {
    // Prepare: 3 blocks of 16384 (SCAN_BLOCK) and a tail; nulls, NaN and ±Infinity right at the block boundaries.
    const B = 16384;
    const n = 3 * B + 17;
    const rnd = prng(7);
    const values = normals(rnd, n).map((v) => 100 + 15 * v);
    const raw: (number | null)[] = [...values];
    for (const at of [0, B - 1, B, 2 * B - 1, 2 * B, 3 * B - 1, 3 * B, n - 1]) raw[at] = at % 3 === 0 ? null : at % 3 === 1 ? Number.NaN : Number.POSITIVE_INFINITY;
    const finite = raw.filter((v): v is number => v !== null && Number.isFinite(v));
    const edges = [70, 85, 100, 115, 130];
    const acc = new NumericAccumulator('float', { edges });

    // Act
    acc.add(numericChunk(raw));
    const sig = acc.finish();

    // Assess
    const moments = naiveMoments(finite);
    expect(sig.count).toBe(n);
    expect(sig.nulls).toBe(raw.filter((v) => v === null).length);
    expect(sig.nan + sig.posInf).toBe(raw.filter((v) => v !== null && !Number.isFinite(v)).length);
    expect(sig.finite).toBe(finite.length);
    expect(sig.min).toBe(Math.min(...finite));
    expect(sig.max).toBe(Math.max(...finite));
    expect(Math.abs(sig.mean - moments.mean)).toBeLessThanOrEqual(1e-12 * moments.mean);
    expect(Math.abs(sig.m2 - moments.m2)).toBeLessThanOrEqual(1e-9 * moments.m2);
    const counts = Array<number>(edges.length + 1).fill(0);
    for (const v of finite) counts[edges.filter((e) => e <= v).length]++;
    expect(sig.histogram?.counts).toEqual(counts);
    expect(sig.sketch.positive.counts.reduce((a, b) => a + b, 0)).toBe(finite.length);
  });
});
