import { describe, expect, it } from 'vitest';
import { compare, type CategoricalFeatureDrift, type NumericFeatureDrift } from '../../../functions/core/drift/index.js';
import { parseModelConfig, signingOptions } from '../../../functions/core/lifecycle/config.js';
import { parseAdoptionManifest } from '../../../functions/core/lifecycle/adoption.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { reportInputFixture } from '../report/fixture.js';
import { datasetOf, type TestColumn } from './build.js';
import { seeded, zipfWeights } from './random.js';

/** Four stable normal features plus `extra`, seeded. */
function columns(seed: number, rows: number, shift = 0): Record<string, TestColumn> {
  const random = seeded(seed);
  return {
    amount: { type: 'float', values: random.normals(rows, 50 + shift * 8, 8) },
    age: { type: 'float', values: random.normals(rows, 40, 12) },
    score: { type: 'float', values: random.normals(rows, 0, 1) },
    visits: { type: 'float', values: random.normals(rows, 5, 2) },
  };
}

describe('Function: compare (importance, noise floor, minimum detectable effect)', () => {
  it('weighs a material shift by importance: drift in a feature the model uses, watch in one it barely uses', () => {
    // Prepare: 'amount' shifted by 0.6 σ in 1,000 rows.
    const reference = datasetOf(columns(1, 4000));
    const current = datasetOf(columns(2, 1000, 0.6), { reference });

    // Act
    const plain = compare(reference, current);
    const used = compare(reference, current, { featureImportance: { amount: 0.4, age: 0.3, score: 0.2, visits: 0.1 } });
    const unused = compare(reference, current, { featureImportance: { amount: 0.001, age: 0.5, score: 0.3, visits: 0.2 } });

    // Assess
    expect(plain.action).toBe('drift');
    expect(used.action).toBe('drift');
    expect(unused.action).toBe('watch');
    expect(unused.actionReason).toContain('little importance');
    expect(unused.rule.description).toContain('importance');
  });

  it('never puts a threshold below the sampling-noise floor, and says what a small quiet batch could have caught', () => {
    // Prepare: 60 same-distribution rows, where noise alone reaches W ≈ 0.2 σ now and then.
    const reference = datasetOf(columns(3, 2000));
    const small = datasetOf(columns(4, 60), { reference });
    const large = datasetOf(columns(5, 20_000), { reference });

    // Act
    const quiet = compare(reference, small);
    const big = compare(reference, large);

    // Assess
    const a = quiet.features.find((f) => f.name === 'amount') as NumericFeatureDrift;
    expect(a.noiseFloor).toBeGreaterThan(0.2);
    expect(a.threshold).toBe(a.noiseFloor);
    expect(a.thresholdSource).toBe('noise-floor');
    expect(a.detectable?.unit).toBe('sd-shift');
    expect(a.detectable!.effect).toBeGreaterThanOrEqual(a.threshold);
    expect(a.explanation).toMatch(/this batch would have acted \(drift\) on a shift of 0\.\d\d σ \(0\.\d\d σ would only be flagged: watch\)\.$/);
    expect(quiet.action).toBe('none');
    const b = big.features.find((f) => f.name === 'amount') as NumericFeatureDrift;
    expect(b.threshold).toBe(0.1);
    expect(b.thresholdSource).toBe('default');
    expect(b.detectable!.effect).toBeLessThan(a.detectable!.effect);
    expect(b.adjustedPValue).toBeGreaterThanOrEqual(b.metrics.ksPValue);
    // The report shows the figure in the feature's facts.
    const html = renderHtmlReport({ ...reportInputFixture, result: quiet, history: [], cadence: [], forecast: null });
    expect(html).toContain(`<tr><th scope="row">Smallest shift that would act (drift)</th><td class="num">`);
  });

  it('reports the smallest shift that would ACT (max of the flag MDE and the material bar), not only the one that would be flagged', () => {
    // Prepare: 300 rows against 2,000 over four features; the flag MDE (≈ 0.2 σ) sits below the 0.4 σ bar.
    const reference = datasetOf(columns(3, 2000));
    const quiet = compare(reference, datasetOf(columns(4, 300), { reference }));
    const a = quiet.features.find((f) => f.name === 'amount') as NumericFeatureDrift;

    // Act: a shift between the two figures, and one above the acting figure.
    const between = compare(reference, datasetOf(columns(6, 300, 0.3), { reference }));
    const above = compare(reference, datasetOf(columns(7, 300, 0.6), { reference }));

    // Assess: the old figure was the flag MDE alone (≈ 0.21 σ), which a 0.3 σ shift exceeds without acting.
    expect(a.detectable!.effect).toBeCloseTo(0.4, 6);
    expect(a.detectable!.flagged).toBeGreaterThan(0.15);
    expect(a.detectable!.flagged).toBeLessThan(0.3);
    expect(between.features.find((f) => f.name === 'amount')?.drift).toBe(true);
    expect(between.action).toBe('watch');
    expect(above.action).toBe('drift');
    expect(a.explanation).toContain('this batch would have acted (drift) on a shift of 0.40 σ (0.');
    const html = renderHtmlReport({ ...reportInputFixture, result: quiet, history: [], cadence: [], forecast: null });
    expect(html).toMatch(/Smallest shift that would act \(drift\)<\/th><td class="num">0\.4 σ; flagged \(watch\) from 0\.\d+ σ/);
  });

  it('drops the material bar from the acting figure when the feature alone meets the dataset rule (a single-feature dataset)', () => {
    // Prepare: one feature: its flag alone is ≥ 50 % of the judged features, so drift needs no material bar.
    const ref = datasetOf({ amount: columns(3, 2000).amount });
    const result = compare(ref, datasetOf({ amount: columns(4, 300).amount }, { reference: ref }));

    // Act
    const d = result.features[0].detectable!;

    // Assess: acting needs the budget's level (1 %, not the flag's 5 %), so it sits a little above the flag MDE, below 0.4 σ.
    expect(d.effect).toBeLessThan(0.4);
    expect(d.flagged).toBeLessThan(d.effect);
  });

  it('labels a distance over the top K plus "(other)" when a side has more categories than K', () => {
    // Prepare: 600 Zipf categories, signed with K = 50.
    const random = seeded(8);
    const labels = Array.from({ length: 600 }, (_, i) => `c${i}`);
    const col = (n: number): Record<string, TestColumn> => ({ city: { type: 'string', values: random.choices(labels, zipfWeights(600, 1.1), n) } });
    const reference = datasetOf(col(5000), { topK: 50 });
    const current = datasetOf(col(2000), { reference, topK: 50 });

    // Act
    const city = compare(reference, current).features[0] as CategoricalFeatureDrift;

    // Assess
    expect(city.topK?.k).toBe(50);
    expect(city.topK!.otherShare.reference).toBeGreaterThan(0.1);
    expect(city.explanation).toContain('(over the top 50 categories plus "(other)")');
    expect(city.detectable?.unit).toBe('js-distance');
  });
});

describe('Function: compare (A/A halves of a long-tailed categorical)', () => {
  it('300 against 300 rows of 200 Zipf categories: the chi-square gate stays calibrated, the action none', () => {
    // Prepare: each half sees ~15 % of its values in categories the other missed, with nothing changed.
    const labels = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const weights = zipfWeights(200, 1.1);
    const results = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => {
      const random = seeded(100 + seed);
      const half = (): Record<string, TestColumn> => ({ city: { type: 'string', values: random.choices(labels, weights, 300) } });
      const reference = datasetOf(half());
      return compare(reference, datasetOf(half(), { reference }));
    });

    // Act
    const pValues = results.map((r) => (r.features[0] as CategoricalFeatureDrift).metrics.chi2PValue);

    // Assess: without the Good–Turing rule such halves read chi² p < 0.001 (a quick bench run: 6 of 10 acted).
    expect(results.filter((r) => r.action !== 'none').length).toBeLessThanOrEqual(1);
    expect(pValues.filter((p) => p < 0.01).length).toBeLessThanOrEqual(1);
  });

  it('100 against 100 rows: never-seen categories within what sampling explains are not material', () => {
    // Prepare: each half of 100 rows puts 25–40 % of its values in categories the other never saw.
    const labels = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const results = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => {
      const random = seeded(300 + seed);
      const half = (): Record<string, TestColumn> => ({ city: { type: 'string', values: random.choices(labels, zipfWeights(200, 1.1), 100) } });
      const reference = datasetOf(half());
      return compare(reference, datasetOf(half(), { reference }));
    });

    // Assess: before the Good–Turing baseline, the bench saw 97 of 100 such draws act.
    expect(Math.min(...results.map((r) => (r.features[0] as CategoricalFeatureDrift).metrics.unseenShare))).toBeGreaterThan(0.15);
    expect(results.filter((r) => r.action === 'drift').length).toBeLessThanOrEqual(1);
  });

  it('still sees a fifth of the rows in never-seen categories', () => {
    // Prepare
    const labels = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const random = seeded(7);
    const reference = datasetOf({ city: { type: 'string', values: random.choices(labels, zipfWeights(200, 1.1), 300) } });
    const values = random.choices(labels, zipfWeights(200, 1.1), 300).map((v, i) => (i % 5 === 0 ? `new${i % 40}` : v));

    // Act
    const result = compare(reference, datasetOf({ city: { type: 'string', values } }, { reference }));

    // Assess
    expect(result.action).toBe('drift');
  });
});

describe('Config: categoryTopK and featureImportance', () => {
  const base = { schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' };

  it('passes K to the signer and importances to compare; refuses bad values naming the field', () => {
    // Act
    const config = parseModelConfig({ ...base, categoryTopK: 1000, features: { featureImportance: { amount: 0.7, age: 0.3 } } }, 'config/fraud.json');

    // Assess
    expect(signingOptions(config).topK).toBe(1000);
    expect(signingOptions(parseModelConfig(base, 'c')).topK).toBeUndefined();
    expect(config.features.featureImportance).toEqual({ amount: 0.7, age: 0.3 });
    expect(() => parseModelConfig({ ...base, categoryTopK: 1 }, 'config/fraud.json')).toThrow(/categoryTopK/);
    expect(() => parseModelConfig({ ...base, features: { featureImportance: { amount: -1 } } }, 'config/fraud.json')).toThrow(/featureImportance/);
    expect(() => parseModelConfig({ ...base, features: { featureImportance: { amount: 0 } } }, 'config/fraud.json')).toThrow(/at least one importance above 0/);
  });

  it('accepts importances in the adoption manifest', () => {
    // Act
    const manifest = parseAdoptionManifest(
      { schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'], featureImportance: { amount: 0.5 } },
      'adoptions/fraud/v2.json',
    );

    // Assess
    expect(manifest.featureImportance).toEqual({ amount: 0.5 });
    expect(() =>
      parseAdoptionManifest({ schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'], featureImportance: { amount: Number.NaN } }, 'm'),
    ).toThrow(/featureImportance/);
  });
});
