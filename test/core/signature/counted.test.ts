/**
 * A counted chunk (distinct values x rows, what a dictionary-encoded Parquet chunk holds) must sign like the
 * rows it stands for: NumericAccumulator.addCounted against add over the same rows, on values with repeats,
 * specials, zeros and magnitudes near the float range, with and without a reference's histogram edges and
 * centred frame. Counts, specials, min/max, sketches, histograms and exact counts equal; moments within 1e-12.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CountedChunk, NumericChunk } from '../../../functions/core/columns.js';
import { CategoricalAccumulator } from '../../../functions/core/signature/categorical.js';
import { NumericAccumulator } from '../../../functions/core/signature/numeric.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/types.js';

/** The rows a dictionary and its indices stand for (index -1: null), and the counted chunk of the same rows. */
function both(dictionary: readonly number[], indices: readonly number[]): { rows: NumericChunk; counted: CountedChunk } {
  const n = indices.length;
  const values = new Float64Array(n);
  const nulls = new Uint8Array(n);
  const counts = new Float64Array(dictionary.length);
  let nullCount = 0;
  indices.forEach((k, i) => {
    if (k < 0) {
      nulls[i] = 1;
      nullCount++;
    } else {
      values[i] = dictionary[k];
      counts[k]++;
    }
  });
  return {
    rows: nullCount > 0 ? { kind: 'numeric', length: n, values, nulls } : { kind: 'numeric', length: n, values },
    counted: { kind: 'counted', length: n, values: Float64Array.from(dictionary), counts, nulls: nullCount },
  };
}

function expectSameSignature(a: NumericColumnSignature, b: NumericColumnSignature): void {
  const { mean: meanA, m2: m2A, ...restA } = a;
  const { mean: meanB, m2: m2B, ...restB } = b;
  expect(restB).toEqual(restA);
  // Rounding relative to the data's magnitude (a mean near 0 of values near 30 is accurate to 30·eps, not 0·eps).
  const sd = Math.sqrt(Math.max(m2A, 0) / Math.max(1, a.finite));
  const within = (x: number, y: number, scale: number): boolean => x === y || Math.abs(x - y) <= 1e-12 * scale + 1e-300;
  expect(within(meanA, meanB, Math.abs(meanA) + sd), `mean ${meanA} vs ${meanB}`).toBe(true);
  expect(within(m2A, m2B, Math.abs(m2A) + a.finite * meanA * meanA), `m2 ${m2A} vs ${m2B}`).toBe(true);
}

const entry = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -200, max: 200 }).map((i) => i / 4) },
  { weight: 4, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-12, -1e-12, Number.NaN, Infinity, -Infinity, 1e300, -1e300) },
);

describe('NumericAccumulator.addCounted', () => {
  it('signs a counted chunk as its rows, chunk after chunk, building a reference and against one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(entry, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: -1, max: 1000 }), { minLength: 0, maxLength: 400 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (chunks, withEdges) => {
          const options = withEdges ? { edges: [-100, -10, -1, 0, 0.5, 1, 2, 10, 50] } : {};
          const byRows = new NumericAccumulator('float', options);
          const byCounts = new NumericAccumulator('float', options);
          for (const [dictionary, raw] of chunks) {
            const indices = raw.map((k) => (k < 0 ? -1 : k % dictionary.length));
            const { rows, counted } = both(dictionary, indices);
            byRows.add(rows);
            byCounts.addCounted(counted);
          }
          expectSameSignature(byRows.finish(), byCounts.finish());
        },
      ),
      { numRuns: 300, seed: 20261202 },
    );
  });

  it('keeps the centred frame of the first chunk with finite values (a reference’s frame when given)', () => {
    const dictionary = Array.from({ length: 50 }, (_, i) => 1000 + i * 0.25);
    const indices = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 50);
    for (const frame of [undefined, { offset: 1000, scale: 8 }, null] as const) {
      const options = frame === undefined ? {} : { frame };
      const byRows = new NumericAccumulator('float', options);
      const byCounts = new NumericAccumulator('float', options);
      const { rows, counted } = both(dictionary, indices);
      byRows.add(rows);
      byCounts.addCounted(counted);
      const a = byRows.finish();
      const b = byCounts.finish();
      expectSameSignature(a, b);
      if (frame !== null) expect(a.centred, 'the rows kept a centred sketch').toBeDefined();
    }
  });

  it('drops exact counts past 256 distinct values used, not past 256 dictionary entries', () => {
    const dictionary = Array.from({ length: 400 }, (_, i) => i);
    const few = both(dictionary, Array.from({ length: 1000 }, (_, i) => i % 200));
    const acc = new NumericAccumulator('int');
    acc.addCounted(few.counted);
    expect(acc.finish().exact?.values.length).toBe(200);
    const many = both(dictionary, Array.from({ length: 1000 }, (_, i) => i % 300));
    const dropped = new NumericAccumulator('int');
    dropped.addCounted(many.counted);
    expect(dropped.finish().exact).toBeUndefined();
  });

  it('overflowing sums: values near the float range keep a finite, accurate mean', () => {
    // (The row path's deviations overflow on this spread, ±1e308: its mean comes out non-finite; see the note.)
    const dictionary = [1.7e308, 1.6e308, -1e308, Number.NaN];
    const { counted } = both(dictionary, [0, 0, 0, 1, 1, 2, 3, -1]);
    const acc = new NumericAccumulator('float');
    acc.addCounted(counted);
    const b = acc.finish();
    const exact = (3 * (1.7e308 / 6) + 2 * (1.6e308 / 6) - 1e308 / 6);
    expect(Math.abs(b.mean - exact) / exact).toBeLessThan(1e-12);
    expect(b.finite).toBe(6);
    expect(b.nan).toBe(1);
    expect(b.nulls).toBe(1);
    expect([b.min, b.max]).toEqual([-1e308, 1.7e308]);
  });
});

describe('CategoricalAccumulator.addCounted', () => {
  it('signs counted strings, and counted numbers taken as categories, as their rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.constantFrom('a', 'b', 'é', '', 'a'), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: -1, max: 50 }), { maxLength: 200 })), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: -1, max: 50 }), { maxLength: 200 })), { minLength: 1, maxLength: 3 }),
        (stringChunks, numberChunks) => {
          const strings = [new CategoricalAccumulator('string', 3), new CategoricalAccumulator('string', 3)];
          for (const [dictionary, raw] of stringChunks) {
            const indices = Int32Array.from(raw, (k) => (k < 0 ? -1 : k % dictionary.length));
            const counts = new Float64Array(dictionary.length);
            indices.forEach((k) => k >= 0 && counts[k]++);
            strings[0].add({ kind: 'categorical', length: indices.length, dictionary, indices });
            strings[1].addCounted({ kind: 'counted-categories', length: indices.length, dictionary, counts, nulls: indices.filter((k) => k < 0).length });
          }
          expect(strings[1].finish()).toEqual(strings[0].finish());
          const numbers = [new CategoricalAccumulator('int'), new CategoricalAccumulator('int')];
          for (const [dictionary, raw] of numberChunks) {
            const { rows, counted } = both(dictionary, raw.map((k) => (k < 0 ? -1 : k % dictionary.length)));
            numbers[0].add(rows);
            numbers[1].addCounted(counted);
          }
          expect(numbers[1].finish()).toEqual(numbers[0].finish());
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
