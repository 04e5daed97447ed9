import { describe, expect, it } from 'vitest';
import { compare, type DriftResult } from '../../../functions/core/drift/index.js';
import type { DatasetSignature } from '../../../functions/core/signature/index.js';
import { datasetOf } from './build.js';
import { seeded, zipfWeights, type Random } from './random.js';

/**
 * No false alarms from sample size. One model with five features and a time axis; the reference has
 * 20,000 rows. Current batches are drawn in TypeScript from a seeded PRNG (random.ts), so every run sees the
 * same numbers.
 */

const COUNTRIES = Array.from({ length: 200 }, (_, i) => `c${String(i).padStart(3, '0')}`);
const COUNTRY_WEIGHTS = zipfWeights(200, 1);
const DELAY = { mean: 20, sd: 5 };
const START = Date.UTC(2026, 0, 1);

interface Shift {
  /** Added to 'delay', in units of its standard deviation. */
  readonly delaySd?: number;
  /** Added to every numeric feature, in units of each one's standard deviation. */
  readonly allNumericSd?: number;
}

function batchOf(random: Random, rows: number, shift: Shift = {}): Record<string, { type: 'float' | 'int' | 'string' | 'boolean' | 'timestamp'; values: (number | string | null)[] }> {
  const delayShift = ((shift.delaySd ?? 0) + (shift.allNumericSd ?? 0)) * DELAY.sd;
  const all = shift.allNumericSd ?? 0;
  return {
    delay: { type: 'float', values: random.normals(rows, DELAY.mean + delayShift, DELAY.sd) },
    // lognormal(3, 0.5): sd ≈ 10.7
    fare: { type: 'float', values: random.normals(rows, 3, 0.5).map((x) => Math.exp(x) + all * 10.7) },
    // 1..6 passengers, sd ≈ 1.3
    passengers: { type: 'int', values: random.choices([1, 2, 3, 4, 5, 6], [30, 30, 15, 12, 8, 5], rows).map((x) => x + Math.round(all * 1.3)) },
    country: { type: 'string', values: random.choices(COUNTRIES, COUNTRY_WEIGHTS, rows) },
    paid: { type: 'boolean', values: random.choices(['true', 'false'], [0.8, 0.2], rows) },
    at: { type: 'timestamp', values: Array.from({ length: rows }, (_, i) => START + i * 1000) },
  };
}

function signatureFor(seed: number, rows: number, reference?: DatasetSignature, shift?: Shift): DatasetSignature {
  return datasetOf(batchOf(seeded(seed), rows, shift) as Parameters<typeof datasetOf>[0], reference ? { reference } : undefined, `seed-${seed}`);
}

const reference = signatureFor(1, 20_000);
const SEEDS = Array.from({ length: 20 }, (_, i) => 1000 + i);
const FEATURES = ['country', 'delay', 'fare', 'paid', 'passengers'];

function drifted(result: DriftResult): string[] {
  return result.features.filter((f) => f.drift).map((f) => f.name);
}

describe('Function: compare (sample size)', () => {
  it('300 rows from the reference distribution, with a 200-category column: no drift', () => {
    // Prepare
    const current = signatureFor(SEEDS[0], 300, reference);

    // Act
    const result = compare(reference, current);

    // Assess
    expect(result.verdict).toBe('no-drift');
    expect(result.action).toBe('none');
    expect(result.features.map((f) => f.name).sort()).toEqual(FEATURES);
    expect(result.time.map((t) => t.name)).toEqual(['at']);
    const country = result.features.find((f) => f.name === 'country');
    // The distance alone is far above its threshold (300 rows over 200 categories); the chi-square gate keeps it quiet.
    expect(country?.score).toBeGreaterThan(0.1);
    expect(country?.kind === 'categorical' && country.metrics.chi2PValue).toBeGreaterThanOrEqual(0.05);
    expect(country?.count).toEqual({ reference: 20_000, current: 300 });
  });

  it('300 rows from the reference distribution over 20 seeds: at most 1 dataset false alarm, ≤ 10% feature false alarms', () => {
    // Act
    const results = SEEDS.map((seed) => compare(reference, signatureFor(seed, 300, reference)));

    // Assess
    const datasetAlarms = results.filter((r) => r.drift).length;
    const featureAlarms = results.reduce((sum, r) => sum + drifted(r).length, 0);
    const countryAlarms = results.filter((r) => drifted(r).includes('country')).length;
    const actions = results.map((r) => r.action);
    expect(datasetAlarms).toBeLessThanOrEqual(1);
    // A/A stays at none: never data-quality; watch only at the per-feature gate's chance rate (≈ 12% of such
    // batches over 100 seeds: 5 features at 5% each, fewer since the distance must pass too).
    expect(actions).not.toContain('data-quality');
    expect(actions.filter((a) => a === 'none').length).toBeGreaterThanOrEqual(16);
    expect(featureAlarms).toBeLessThanOrEqual(10); // of 100 feature checks; the gate's level is 5%
    expect(countryAlarms).toBeLessThanOrEqual(2);
  });

  it('250,000 rows from the reference distribution: no feature drifts', () => {
    // Prepare
    const current = signatureFor(7, 250_000, reference);

    // Act
    const result = compare(reference, current);

    // Assess
    expect(result.verdict).toBe('no-drift');
    expect(result.action).toBe('none');
    expect(drifted(result)).toEqual([]);
    expect(result.driftIndex).toBeLessThan(1);
  });

  it('a 1σ shift of one feature in 300 rows is caught in every one of 20 seeds', () => {
    // Act
    const results = SEEDS.map((seed) => compare(reference, signatureFor(seed, 300, reference, { delaySd: 1 }), { datasetRule: { keyFeatures: ['delay'] } }));

    // Assess
    for (const result of results) {
      expect(result.features[0].name).toBe('delay');
      expect(result.features[0].explanation).toMatch(/^'delay' moved \+\d\.\d\d at the median \(20\.\d → 2\d\.\d\), Wasserstein \d\.\d\d σ ≥ 0\.\d\d; KS p < 0\.001\.$/);
      expect(result.features[0].drift).toBe(true);
      expect(result.verdict).toBe('drift');
      expect(result.action).toBe('drift');
    }
  });

  it('a 1σ shift of every numeric feature in 300 rows makes the dataset drift by the share rule', () => {
    // Act
    const results = SEEDS.map((seed) => compare(reference, signatureFor(seed, 300, reference, { allNumericSd: 1 })));

    // Assess
    for (const result of results) {
      expect(drifted(result)).toEqual(expect.arrayContaining(['delay', 'fare', 'passengers']));
      expect(result.verdict).toBe('drift');
      expect(result.score).toBeGreaterThanOrEqual(0.6);
    }
  });
});

describe('Function: compare (calibration of the significance gate)', () => {
  it('KS and chi-square p-values are calibrated: over 200 same-distribution batches of 300 rows, about 5% fall below 0.05', () => {
    // Prepare: a continuous and a 200-category feature; the gate must neither fire too often nor never.
    const random = seeded(42);
    const reference2 = datasetOf({
      x: { type: 'float', values: random.normals(20_000) },
      country: { type: 'string', values: random.choices(COUNTRIES, COUNTRY_WEIGHTS, 20_000) },
    });
    const ks: number[] = [];
    const chi2: number[] = [];

    // Act
    for (let i = 0; i < 200; i += 1) {
      const r = seeded(90_000 + 7919 * i);
      const current = datasetOf(
        { x: { type: 'float', values: r.normals(300) }, country: { type: 'string', values: r.choices(COUNTRIES, COUNTRY_WEIGHTS, 300) } },
        { reference: reference2 },
      );
      for (const f of compare(reference2, current).features) {
        if (f.kind === 'numeric') ks.push(f.metrics.ksPValue);
        else chi2.push(f.metrics.chi2PValue);
      }
    }

    // Assess: binomial(200, 0.05) lies in [2, 20] with probability > 0.999.
    const below = (ps: number[]): number => ps.filter((p) => p < 0.05).length;
    expect(below(ks)).toBeGreaterThanOrEqual(2);
    expect(below(ks)).toBeLessThanOrEqual(20);
    expect(below(chi2)).toBeGreaterThanOrEqual(2);
    expect(below(chi2)).toBeLessThanOrEqual(20);
  });
});
