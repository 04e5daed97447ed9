import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binsOf,
  categoryTable,
  chiSquareFromSignatures,
  chiSquareTest,
  jensenShannon,
  kolmogorovSf,
  ksFromSketches,
  meanShiftPValue,
  outOfRangeShare,
  poolSparseColumns,
  psi,
  quantilesOf,
  standardDeviation,
  unseenShare,
  wassersteinFromSketches,
} from '../../../functions/core/drift/index.js';
import { DEFAULT_RELATIVE_ACCURACY, categoricalSignatureOf, numericSignatureOf } from '../../../functions/core/signature/index.js';

/**
 * Every statistic against scipy on committed fixtures (test/fixtures/stats/generate.py writes the raw
 * samples and scipy's answers). Tolerances, and why:
 * - KS statistic: ±0.005 absolute. Both sketch CDFs are exact at bucket boundaries; the gap can hide
 *   inside one bucket (1% wide in value), i.e. at most that bucket's mass. Measured: ≤ 0.002.
 * - KS p-value: our asymptotic kstwobign.sf(√en·D) must lie in the band that the KS tolerance allows
 *   around scipy's exact D; and against scipy's ks_2samp(method='asymp') (which uses kstwo.sf(D, round(en)))
 *   within ±0.05 absolute for p ≥ 0.01 and within a factor e² (|ln ratio| ≤ 2) for 1e-20 ≤ p < 0.01.
 * - Wasserstein: 2% relative, and within the sketch's bound α·(E|X| + E|Y|). Measured: ≤ 0.5%.
 * - JS distance and PSI on the same explicit edges: 1e-9 absolute (same counts, same formula).
 * - chi-square on the same table: statistic and p-value 1e-6 relative; pooled table identical.
 * - quantiles: relative error ≤ α (the sketch's guarantee) against numpy's method="lower".
 * - reference σ: 1e-9 relative (moments are exact up to rounding); mean-shift p (Welch statistic against
 *   the normal distribution) 1e-6 relative.
 */

interface NumericSample {
  name: string;
  kind: 'numeric';
  edges: number[];
  reference: number[];
  current: number[];
}
interface CategoricalSample {
  name: string;
  kind: 'categorical';
  reference: string[];
  current: string[];
}
interface Chi2Expected {
  statistic: number;
  pValue: number;
  dof: number;
}

const fixtures = new URL('../../fixtures/stats/', import.meta.url);
const samples = JSON.parse(readFileSync(new URL('samples.json', fixtures), 'utf8')) as (NumericSample | CategoricalSample)[];
/** scipy's answers per case (see generate.py for each field). */
interface ExpectedCase {
  name: string;
  n: number;
  m: number;
  ksStat: number;
  ksPValueScipyAsymp: number;
  ksPValueKolmogorov: number;
  meanShiftPValue: number;
  wasserstein: number;
  referenceStd: number;
  meanAbs: { reference: number; current: number };
  binCounts: { reference: number[]; current: number[] };
  jsDistance: number;
  psi: number;
  outOfRangeShare: number;
  quantiles: Record<string, { reference: number; current: number }>;
  categories: string[];
  counts: { reference: number[]; current: number[] };
  chi2Raw: Chi2Expected;
  pooled: { reference: number[]; current: number[] };
  chi2Pooled: Chi2Expected;
  unseenShare: number;
}
const expected = JSON.parse(readFileSync(new URL('expected.json', fixtures), 'utf8')) as { cases: ExpectedCase[] };

function expectedFor(name: string): ExpectedCase {
  const found = expected.cases.find((c) => c.name === name);
  if (found === undefined) throw new Error(`expected.json has no case '${name}': rerun generate.py`);
  return found;
}

const numericCases = samples.filter((s): s is NumericSample => s.kind === 'numeric').map((s) => ({ ...s, expected: expectedFor(s.name) }));
const categoricalCases = samples.filter((s): s is CategoricalSample => s.kind === 'categorical').map((s) => ({ ...s, expected: expectedFor(s.name) }));

const KS_TOLERANCE = 0.005;

function relativeError(actual: number, wanted: number): number {
  return Math.abs(actual - wanted) / Math.abs(wanted);
}

describe('Fixtures: the stats fixtures are complete', () => {
  it('has 8 numeric and 5 categorical cases with scipy results', () => {
    // Assess
    expect(numericCases).toHaveLength(8);
    expect(categoricalCases).toHaveLength(5);
    for (const c of [...numericCases, ...categoricalCases]) expect(c.expected, c.name).toBeDefined();
  });
});

describe.each(numericCases)('Numeric statistics vs scipy: $name', (sample) => {
  const e = sample.expected;
  const reference = numericSignatureOf(sample.reference, { edges: sample.edges });
  const current = numericSignatureOf(sample.current, { edges: sample.edges });

  it('KS statistic within ±0.005 of ks_2samp', () => {
    // Act
    const ks = ksFromSketches(reference.sketch, current.sketch);

    // Assess
    expect(ks.n).toBe(e.n);
    expect(ks.m).toBe(e.m);
    expect(Math.abs(ks.statistic - e.ksStat)).toBeLessThanOrEqual(KS_TOLERANCE);
  });

  it('KS p-value within the band of the statistic tolerance, and close to ks_2samp(method="asymp")', () => {
    // Prepare
    const rootEn = Math.sqrt((e.n * e.m) / (e.n + e.m));

    // Act
    const { pValue } = ksFromSketches(reference.sketch, current.sketch);

    // Assess
    expect(pValue).toBeGreaterThanOrEqual(kolmogorovSf(rootEn * (e.ksStat + KS_TOLERANCE)));
    expect(pValue).toBeLessThanOrEqual(kolmogorovSf(rootEn * (e.ksStat - KS_TOLERANCE)));
    expect(Math.abs(kolmogorovSf(rootEn * e.ksStat) - e.ksPValueKolmogorov)).toBeLessThan(1e-9 * Math.max(e.ksPValueKolmogorov, 1e-300) + 1e-300);
    const scipy = e.ksPValueScipyAsymp;
    if (scipy >= 0.01) expect(Math.abs(pValue - scipy)).toBeLessThanOrEqual(0.05);
    else if (scipy >= 1e-20) expect(Math.abs(Math.log(pValue / scipy))).toBeLessThanOrEqual(2);
    else expect(pValue).toBeLessThan(1e-15);
  });

  it('Wasserstein distance within 2% of wasserstein_distance and within the sketch bound', () => {
    // Act
    const w = wassersteinFromSketches(reference.sketch, current.sketch);

    // Assess
    expect(relativeError(w, e.wasserstein)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(w - e.wasserstein)).toBeLessThanOrEqual(DEFAULT_RELATIVE_ACCURACY * (e.meanAbs.reference + e.meanAbs.current));
    expect(relativeError(standardDeviation(reference), e.referenceStd)).toBeLessThan(1e-9);
  });

  it('mean-shift p-value matches 2·norm.sf(|Welch statistic|) to 1e-6 relative', () => {
    // Act
    const p = meanShiftPValue(reference, current);

    // Assess
    expect(relativeError(Math.max(p, 1e-300), Math.max(e.meanShiftPValue, 1e-300))).toBeLessThan(1e-6);
  });

  it('JS distance (base 2) and PSI on the fixture edges match to 1e-9', () => {
    // Act
    const bins = binsOf(reference, current);

    // Assess
    expect(bins.edges).toEqual(sample.edges);
    expect(bins.reference).toEqual(e.binCounts.reference);
    expect(bins.current).toEqual(e.binCounts.current);
    expect(Math.abs(jensenShannon(bins.reference, bins.current) - e.jsDistance)).toBeLessThan(1e-9);
    expect(Math.abs(psi(bins.reference, bins.current) - e.psi)).toBeLessThan(1e-9);
  });

  it('quantiles within the sketch relative accuracy, out-of-range share within 0.002', () => {
    // Act
    const quantiles = quantilesOf(reference, current);
    const outside = outOfRangeShare(reference, current);

    // Assess
    for (const q of quantiles) {
      const wanted = e.quantiles[String(q.p)];
      expect(Math.abs((q.reference as number) - wanted.reference)).toBeLessThanOrEqual(DEFAULT_RELATIVE_ACCURACY * Math.abs(wanted.reference) + 1e-9);
      expect(Math.abs((q.current as number) - wanted.current)).toBeLessThanOrEqual(DEFAULT_RELATIVE_ACCURACY * Math.abs(wanted.current) + 1e-9);
    }
    expect(Math.abs(outside - e.outOfRangeShare)).toBeLessThanOrEqual(0.002);
    expect(outside).toBeLessThanOrEqual(e.outOfRangeShare);
  });
});

describe.each(categoricalCases)('Categorical statistics vs scipy: $name', (sample) => {
  const e = sample.expected;
  const reference = categoricalSignatureOf(sample.reference);
  const current = categoricalSignatureOf(sample.current);

  it('builds the same contingency table as the script', () => {
    // Act
    const table = categoryTable(reference, current);

    // Assess: every category known on both sides, plus an empty "(other)".
    expect(table.labels.slice(0, -1)).toEqual(e.categories);
    expect(table.reference.slice(0, -1)).toEqual(e.counts.reference);
    expect(table.current.slice(0, -1)).toEqual(e.counts.current);
    expect(table.reference.at(-1)).toBe(0);
    expect(table.current.at(-1)).toBe(0);
  });

  it('JS distance and PSI match to 1e-9; unseen share exactly', () => {
    // Prepare
    const table = categoryTable(reference, current);

    // Act
    const js = jensenShannon(table.reference, table.current);
    const p = psi(table.reference, table.current);

    // Assess
    expect(Math.abs(js - e.jsDistance)).toBeLessThan(1e-9);
    expect(Math.abs(p - e.psi)).toBeLessThan(1e-9);
    expect(unseenShare(reference, current)).toBeCloseTo(e.unseenShare, 12);
  });

  it('chi2_contingency on the raw table and on the pooled table match to 1e-6 relative', () => {
    // Prepare
    const table = categoryTable(reference, current);
    const check = (actual: { statistic: number; pValue: number; dof: number }, wanted: Chi2Expected): void => {
      expect(actual.dof).toBe(wanted.dof);
      expect(relativeError(actual.statistic, wanted.statistic)).toBeLessThan(1e-6);
      expect(relativeError(actual.pValue, wanted.pValue)).toBeLessThan(1e-6);
    };

    // Act
    const raw = chiSquareTest(table.reference, table.current);
    const pooled = poolSparseColumns(table.reference, table.current);
    const fromSignatures = chiSquareFromSignatures(reference, current);

    // Assess
    check(raw, e.chi2Raw);
    expect(pooled.reference).toEqual(e.pooled.reference);
    expect(pooled.current).toEqual(e.pooled.current);
    check(fromSignatures, e.chi2Pooled);
  });
});
