import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { driftTests, selectTest, testsFor, type FeatureOverride, type KindDefault } from '../../../functions/core/drift/index.js';
import { categoricalSignatureOf, numericSignatureOf } from '../../../functions/core/signature/index.js';

const spread = numericSignatureOf([1, 2, 3, 4, 5, 6, 7, 8]);
const constant = numericSignatureOf([3, 3, 3, 3]);
const empty = numericSignatureOf([null, null]);
const categorical = categoricalSignatureOf(['a', 'b', 'a', 'c']);
const binary = categoricalSignatureOf(['true', 'false', 'true']);

type Row = [
  description: string,
  reference: typeof spread | typeof categorical,
  override: FeatureOverride | undefined,
  modelDefault: KindDefault | undefined,
  expected: { test: string; threshold: number; thresholdSource: 'feature' | 'model' | 'default'; scoreKind: 'distance' | 'p-value' },
];

const table: Row[] = [
  ['numeric with spread → wasserstein', spread, undefined, undefined, { test: 'wasserstein', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['constant numeric → jensenshannon on bins', constant, undefined, undefined, { test: 'jensenshannon', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['empty numeric → jensenshannon', empty, undefined, undefined, { test: 'jensenshannon', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['categorical → jensenshannon', categorical, undefined, undefined, { test: 'jensenshannon', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['binary categorical → jensenshannon', binary, undefined, undefined, { test: 'jensenshannon', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['feature threshold only', spread, { threshold: 0.25 }, undefined, { test: 'wasserstein', threshold: 0.25, thresholdSource: 'feature', scoreKind: 'distance' }],
  ['feature test only → that test’s default threshold', spread, { test: 'ks' }, undefined, { test: 'ks', threshold: 0.05, thresholdSource: 'default', scoreKind: 'p-value' }],
  ['feature test and threshold', categorical, { test: 'chi2', threshold: 0.01 }, undefined, { test: 'chi2', threshold: 0.01, thresholdSource: 'feature', scoreKind: 'p-value' }],
  ['model threshold only → applies to the built-in test', spread, undefined, { threshold: 0.2 }, { test: 'wasserstein', threshold: 0.2, thresholdSource: 'model', scoreKind: 'distance' }],
  ['model test only', categorical, undefined, { test: 'psi' }, { test: 'psi', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
  ['model test and threshold', spread, undefined, { test: 'psi', threshold: 0.25 }, { test: 'psi', threshold: 0.25, thresholdSource: 'model', scoreKind: 'distance' }],
  ['feature threshold beats model threshold', spread, { threshold: 0.3 }, { threshold: 0.2 }, { test: 'wasserstein', threshold: 0.3, thresholdSource: 'feature', scoreKind: 'distance' }],
  ['feature test beats model test; model threshold not carried over', spread, { test: 'ks' }, { test: 'psi', threshold: 0.25 }, { test: 'ks', threshold: 0.05, thresholdSource: 'default', scoreKind: 'p-value' }],
  ['feature test equal to model test keeps the model threshold', spread, { test: 'psi' }, { test: 'psi', threshold: 0.25 }, { test: 'psi', threshold: 0.25, thresholdSource: 'model', scoreKind: 'distance' }],
  ['model test on a constant column overrides the built-in choice', constant, undefined, { test: 'wasserstein' }, { test: 'wasserstein', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' }],
];

describe('Function: selectTest', () => {
  it.each(table)('%s', (_description, reference, override, modelDefault, expected) => {
    // Act
    const selection = selectTest(reference, override, modelDefault, 'x');

    // Assess
    expect(selection).toMatchObject(expected);
    expect(selection.reason.length).toBeGreaterThan(0);
  });

  it.each([
    [spread, { test: 'chi2' }, /overrides\.x\.test: test 'chi2' does not apply to numeric features \(use one of: ks, wasserstein, psi, jensenshannon\)/],
    [categorical, { test: 'wasserstein' }, /overrides\.x\.test: test 'wasserstein' does not apply to categorical/],
    [spread, { test: 'anderson' }, /overrides\.x\.test: unknown drift test 'anderson' \(known: ks, wasserstein, psi, jensenshannon, chi2\)/],
  ] as const)('rejects a test that does not fit (%#)', (reference, override, message) => {
    // Act / Assess
    expect(() => selectTest(reference, override, undefined, 'x')).toThrow(ConfigError);
    expect(() => selectTest(reference, override, undefined, 'x')).toThrow(message);
  });

  it('rejects a p-value threshold of 1 or more, naming the option', () => {
    // Act / Assess
    expect(() => selectTest(spread, { test: 'ks', threshold: 1 }, undefined, 'x')).toThrow(/overrides\.x\.threshold: test 'ks' gives a p-value, so its threshold must be below 1, got 1/);
    expect(() => selectTest(categorical, undefined, { test: 'chi2', threshold: 5 })).toThrow(/defaults\.categorical\.threshold/);
  });

  it('rejects a model default test of the wrong kind, naming the option', () => {
    // Act / Assess
    expect(() => selectTest(categorical, undefined, { test: 'ks' })).toThrow(/defaults\.categorical\.test: test 'ks'/);
  });
});

describe('Registry: driftTests', () => {
  it('holds the five tests, each with a kind, a score kind and a positive default threshold', () => {
    // Assess
    expect(Object.keys(driftTests).sort()).toEqual(['chi2', 'jensenshannon', 'ks', 'psi', 'wasserstein']);
    for (const [name, test] of Object.entries(driftTests)) {
      expect(test.name).toBe(name);
      expect(test.appliesTo.length).toBeGreaterThan(0);
      expect(['distance', 'p-value']).toContain(test.scoreKind);
      expect(test.defaultThreshold).toBeGreaterThan(0);
    }
    expect(testsFor('numeric')).toEqual(['ks', 'wasserstein', 'psi', 'jensenshannon']);
    expect(testsFor('categorical')).toEqual(['psi', 'jensenshannon', 'chi2']);
  });

  it('scores identical columns as no change: distances 0, p-values 1', () => {
    // Prepare
    const numeric = numericSignatureOf(Array.from({ length: 500 }, (_, i) => Math.sin(i) * 10));
    const cats = categoricalSignatureOf(Array.from({ length: 500 }, (_, i) => `v${i % 7}`));

    // Act
    const scores = Object.values(driftTests).flatMap((test) =>
      test.appliesTo.map((kind) => ({ test, score: kind === 'numeric' ? test.fn(numeric, numeric) : test.fn(cats, cats) })),
    );

    // Assess
    for (const { test, score } of scores) expect(score, test.name).toBe(test.scoreKind === 'distance' ? 0 : 1);
  });

  it('refuses to score columns of the wrong kind', () => {
    // Act / Assess
    expect(() => driftTests.ks.fn(categorical, categorical)).toThrow(TypeError);
    expect(() => driftTests.chi2.fn(spread, spread)).toThrow(TypeError);
    expect(() => driftTests.psi.fn(spread, categorical)).toThrow(TypeError);
  });
});
