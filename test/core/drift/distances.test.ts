import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chiSquareTest,
  jensenShannon,
  MIN_EXPECTED,
  normalTwoSidedP,
  poolSparseColumns,
  psi,
  PSI_EMPTY_SHARE,
} from '../../../functions/core/drift/index.js';

const counts = (length: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 500 }), { minLength: length, maxLength: length });
const pair = fc.integer({ min: 2, max: 40 }).chain((k) => fc.tuple(counts(k), counts(k)));
const nonEmptyPair = pair.filter(([a, b]) => a.some((x) => x > 0) && b.some((x) => x > 0));

describe('Function: jensenShannon', () => {
  it('is 0 for proportional counts, 1 for disjoint supports', () => {
    // Act / Assess
    expect(jensenShannon([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 12);
    expect(jensenShannon([5, 0, 0], [0, 3, 4])).toBeCloseTo(1, 12);
  });

  it('is symmetric and within [0, 1]', () => {
    fc.assert(
      fc.property(nonEmptyPair, ([a, b]) => {
        // Act
        const ab = jensenShannon(a, b);
        const ba = jensenShannon(b, a);

        // Assess
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1 + 1e-12);
        expect(Math.abs(ab - ba)).toBeLessThan(1e-12);
      }),
    );
  });

  it('rejects bins of different lengths', () => {
    // Act / Assess
    expect(() => jensenShannon([1, 2], [1, 2, 3])).toThrow(/2 reference bins but 3 current bins/);
  });
});

describe('Function: psi', () => {
  it('is 0 for equal shares and uses the empty-bin floor otherwise', () => {
    // Prepare: reference all in bin 0, current split evenly.
    const wanted = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - PSI_EMPTY_SHARE) * Math.log(0.5 / PSI_EMPTY_SHARE);

    // Act / Assess
    expect(psi([10, 10], [3, 3])).toBe(0);
    expect(psi([10, 0], [5, 5])).toBeCloseTo(wanted, 12);
  });

  it('is non-negative and symmetric', () => {
    fc.assert(
      fc.property(nonEmptyPair, ([a, b]) => {
        // Assess
        expect(psi(a, b)).toBeGreaterThanOrEqual(-1e-12);
        expect(Math.abs(psi(a, b) - psi(b, a))).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('Function: poolSparseColumns', () => {
  it('keeps totals and leaves every column with expected count ≥ 5 (or a single column)', () => {
    fc.assert(
      fc.property(nonEmptyPair, ([a, b]) => {
        // Act
        const pooled = poolSparseColumns(a, b);

        // Assess
        const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
        expect(sum(pooled.reference)).toBe(sum(a));
        expect(sum(pooled.current)).toBe(sum(b));
        const total = sum(a) + sum(b);
        const small = Math.min(sum(a), sum(b));
        if (pooled.reference.length > 1) {
          pooled.reference.forEach((r, j) => expect(((r + pooled.current[j]) * small) / total).toBeGreaterThanOrEqual(MIN_EXPECTED));
        }
      }),
    );
  });

  it('pools 200 sparse categories of a 300-row batch into a valid table', () => {
    // Prepare: reference 20,000 rows evenly over 200 categories; current 300 rows, 1–2 per category.
    const reference = Array.from({ length: 200 }, () => 100);
    const current = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 2));

    // Act
    const pooled = poolSparseColumns(reference, current);

    // Assess: every category has expected count 1.5 < 5 → one pooled column, nothing left to test.
    expect(pooled).toEqual({ reference: [20_000], current: [300] });
    expect(chiSquareTest(pooled.reference, pooled.current).pValue).toBe(1);
  });

  it('keeps sparse new categories (reference count 0) in their own pool so they are not diluted', () => {
    // Prepare: 100 old categories (200 reference rows, 2 current rows each) and 10 new ones (25 current rows each).
    const reference = [...Array.from({ length: 100 }, () => 200), ...Array.from({ length: 10 }, () => 0)];
    const current = [...Array.from({ length: 100 }, () => 2), ...Array.from({ length: 10 }, () => 25)];

    // Act
    const pooled = poolSparseColumns(reference, current);

    // Assess: each column alone is sparse (old: 202·450/20450 ≈ 4.4; new: 25·450/20450 ≈ 0.55), but the
    // new pool is valid on its own (250·450/20450 ≈ 5.5), so the new values stay visible.
    expect(pooled).toEqual({ reference: [20_000, 0], current: [200, 250] });
    expect(chiSquareTest(pooled.reference, pooled.current).pValue).toBeLessThan(1e-10);
  });
});

describe('Function: chiSquareTest', () => {
  it('applies Yates’ correction on 2×2 tables like scipy', () => {
    // Prepare: scipy.stats.chi2_contingency([[10, 20], [20, 10]]) → statistic 5.4, p 0.02014...
    // Act
    const result = chiSquareTest([10, 20], [20, 10]);

    // Assess
    expect(result.dof).toBe(1);
    expect(result.statistic).toBeCloseTo(5.4, 12);
    expect(result.pValue).toBeCloseTo(0.020136751550346, 12);
  });

  it('drops empty columns and returns p = 1 without two columns or an empty row', () => {
    // Act / Assess
    expect(chiSquareTest([5, 0], [7, 0])).toMatchObject({ pValue: 1, dof: 0, columns: 1 });
    expect(chiSquareTest([0, 0], [3, 4])).toMatchObject({ pValue: 1 });
  });
});

describe('Function: normalTwoSidedP', () => {
  it.each([
    [0, 1],
    [1.959963984540054, 0.05],
    [-2.5758293035489004, 0.01],
    [6, 1.973175290075e-9],
  ])('P(|Z| ≥ |%d|) = %d', (z, p) => {
    // Assess
    expect(Math.abs(normalTwoSidedP(z) - p) / p).toBeLessThan(1e-9);
  });
});
