import { describe, expect, it } from 'vitest';
import {
  compare,
  MAX_SCORE,
  sketchResolves,
  twoProportionPValue,
  wassersteinNorm,
  type DriftResult,
} from '../../../functions/core/drift/index.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/index.js';
import { datasetOf } from './build.js';
import { seeded } from './random.js';

/** Every number anywhere in the result, with its path. */
function numbersOf(value: unknown, path = '$'): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersOf(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersOf(v, `${path}.${k}`));
  return [];
}

function expectAllFinite(result: DriftResult): void {
  const bad = numbersOf(result).filter(([, n]) => !Number.isFinite(n));
  expect(bad).toEqual([]);
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}

const normals = (seed: number, n: number, mean = 100, sd = 15): number[] => seeded(seed).normals(n, mean, sd);

describe('Function: compare (finite scores)', () => {
  it('keeps every score, metric and the drift index finite when a batch holds Number.MAX_VALUE', () => {
    // Prepare: the reviewer's repro, one row in ten at the largest double.
    const reference = datasetOf({ amount: { type: 'float', values: normals(1, 1500) } });
    const values = normals(2, 1500).map((v, i) => (i % 10 === 0 ? Number.MAX_VALUE : v));
    const current = datasetOf({ amount: { type: 'float', values } }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess: still drift, but every number survives JSON.
    expectAllFinite(result);
    expect(result.verdict).toBe('drift');
    expect(result.driftIndex).toBeGreaterThan(1);
    expect(result.driftIndex).toBeLessThanOrEqual(MAX_SCORE);
  });

  it('does not overflow to NaN for values of both signs near the largest double', () => {
    // Prepare
    const big = (seed: number): number[] => normals(seed, 400, 0, 1).map((v) => (v > 0 ? 1.7e308 : -1.7e308) * Math.min(1, Math.abs(v)));
    const reference = datasetOf({ x: { type: 'float', values: big(3) } });
    const current = datasetOf({ x: { type: 'float', values: big(4).map((v) => Math.abs(v)) } }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess: every value moved to the positive side: a large, finite distance.
    expectAllFinite(result);
    expect(result.features[0]).toMatchObject({ drift: true });
    expect(result.features[0].score).toBeGreaterThan(0.5);
  });

  it('computes the Wasserstein score in a scaled space for |x| around 1e300', () => {
    // Prepare: the same shape at 1e300 and at 1 must give the same normalised distance.
    const base = normals(5, 500, 10, 2);
    const shifted = normals(6, 500, 11, 2);
    const at = (scale: number) => {
      const reference = datasetOf({ x: { type: 'float', values: base.map((v) => v * scale) } });
      const current = datasetOf({ x: { type: 'float', values: shifted.map((v) => v * scale) } }, { reference });
      return wassersteinNorm(reference.columns.x as NumericColumnSignature, current.columns.x as NumericColumnSignature);
    };

    // Act
    const unit = at(1);
    const huge = at(1e300);

    // Assess
    expect(Number.isFinite(huge)).toBe(true);
    expect(huge).toBeCloseTo(unit, 2);
  });
});

describe('Function: sketchResolves (tiny scales)', () => {
  it('is false when the values sit in the zero bucket, so a shift of a 1e-10-scale feature is flagged', () => {
    // Prepare: uniform on [0, 1e-10) against [0.5e-10, 1.5e-10): every value is in the sketch's zero bucket.
    const n = 2000;
    const reference = datasetOf({ x: { type: 'float', values: Array.from({ length: n }, (_, i) => (i / n) * 1e-10) } });
    const current = datasetOf({ x: { type: 'float', values: Array.from({ length: n }, (_, i) => (i / n + 0.5) * 1e-10) } }, { reference });

    // Act
    const resolves = sketchResolves(reference.columns.x as NumericColumnSignature);
    const result = compare(reference, current);

    // Assess
    expect(resolves).toBe(false);
    expect(result.features[0]).toMatchObject({ drift: true, test: 'wasserstein' });
    expect(result.features[0].explanation).toContain('means (Welch)');
  });

  it('stays true for an ordinary feature', () => {
    // Prepare
    const reference = datasetOf({ x: { type: 'float', values: normals(7, 1000) } });

    // Act / Assess
    expect(sketchResolves(reference.columns.x as NumericColumnSignature)).toBe(true);
  });
});

describe('Function: twoProportionPValue', () => {
  it('matches the pooled two-proportion z-test computed with scipy (2 * norm.sf(|z|))', () => {
    // Act / Assess (values from scipy.stats.norm.sf in the project venv)
    expect(twoProportionPValue(10, 100, 30, 100)).toBeCloseTo(0.00040695201744495973, 10);
    expect(twoProportionPValue(50, 1000, 60, 1000)).toBeCloseTo(0.32668325124120545, 10);
    expect(twoProportionPValue(0, 0, 1, 1)).toBe(1);
  });
});

describe('Function: compare (null-share and schema incidents)', () => {
  const rows = 500;
  const x = (seed: number) => ({ type: 'float' as const, values: normals(seed, rows, 0, 10) });
  const reference = datasetOf({ x: x(1), y: x(2) });

  it('makes an all-null key feature a data-quality incident, not drift (it used to drift the dataset)', () => {
    // Prepare
    const current = datasetOf({ x: x(3), y: { type: 'float', values: Array<number | null>(rows).fill(null) } }, { reference });

    // Act
    const result = compare(reference, current, { datasetRule: { keyFeatures: ['y'] } });

    // Assess
    expect(result).toMatchObject({ action: 'data-quality', verdict: 'no-drift', drift: false });
    expect(result.incidents).toEqual([{ kind: 'all-null', feature: 'y', detail: "'y' is entirely null in the current batch (was 0% null)." }]);
    expect(result.features.find((f) => f.name === 'y')).toMatchObject({ drift: false, status: 'insufficient-data', test: 'wasserstein' });
    expect(result.rule.description).toContain('entirely null is all-null');
    expect(result.actionReason).toBe("Data quality: 'y' is entirely null in the current batch (was 0% null); fix the pipeline before retraining.");
  });

  it('raises a null surge for a significant rise of at least 0.2 in the null share, not for a smaller one', () => {
    // Prepare: y 90% null vs 10% null.
    const withNulls = (share: number) =>
      datasetOf({ x: x(4), y: { type: 'float', values: normals(5, rows, 0, 10).map((v, i) => (i < share * rows ? null : v)) } }, { reference });

    // Act
    const high = compare(reference, withNulls(0.9), { datasetRule: { keyFeatures: ['y'] } });
    const low = compare(reference, withNulls(0.1), { datasetRule: { keyFeatures: ['y'] } });

    // Assess: the feature keeps its own distribution test either way (no longer 'null-share').
    expect(high.action).toBe('data-quality');
    expect(high.incidents.map((i) => [i.kind, i.feature])).toEqual([['null-surge', 'y']]);
    expect(high.features.find((f) => f.name === 'y')?.test).toBe('wasserstein');
    expect(low).toMatchObject({ action: 'none', verdict: 'no-drift', incidents: [] });
    expect(low.features.find((f) => f.name === 'y')?.test).toBe('wasserstein');
  });

  it('makes a missing feature a data-quality incident, outside the drift share (it used to count as drifted)', () => {
    // Prepare
    const current = datasetOf({ x: x(6) }, { reference });

    // Act
    const plain = compare(reference, current);
    const keyed = compare(reference, current, { datasetRule: { keyFeatures: ['y'], share: 0.9 } });

    // Assess: 0 of 1 judged feature drifted; the missing one is the incident.
    expect(plain.schema.missing).toEqual(['y']);
    expect(plain).toMatchObject({ action: 'data-quality', verdict: 'no-drift', drift: false, score: 0 });
    expect(plain.incidents).toEqual([{ kind: 'missing-column', feature: 'y', detail: "Column 'y' is missing from the current batch." }]);
    expect(plain.summary).toContain("Data quality (1 finding): Column 'y' is missing from the current batch. No feature drifted (0 of 1;");
    expect(plain.driftIndex).toBeLessThan(1);
    expect(keyed.action).toBe('data-quality');
    expectAllFinite(keyed);
  });
});
