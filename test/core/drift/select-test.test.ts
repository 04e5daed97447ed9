import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { driftTests, selectTest, testsFor, type FeatureOverride, type KindDefault } from '../../../functions/core/drift/index.js';
import { compareOptionsConfigSchema, compareOptionsSchema } from '../../../functions/core/drift/options.js';
import { DRIFT_TESTS, driftTestNames, isDriftTestName, significanceTestByKind } from '../../../functions/core/drift/registry.js';
import { BUILTIN_TESTS, testOptionProblems, type TestOptions } from '../../../functions/core/drift/select-test.js';
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

describe('Function: testOptionProblems', () => {
  type ProblemRow = [description: string, options: TestOptions, expected: { path: string[]; message: RegExp }[]];
  const none = { overrides: {}, defaults: {} };
  const rows: ProblemRow[] = [
    ['nothing set', none, []],
    ['unknown override test', { ...none, overrides: { a: { test: 'anderson' } } }, [{ path: ['overrides', 'a', 'test'], message: /unknown drift test 'anderson'/ }]],
    ['model default of the wrong kind', { ...none, defaults: { categorical: { test: 'ks' } } }, [{ path: ['defaults', 'categorical', 'test'], message: /'ks' does not apply to categorical/ }]],
    ['override test of the wrong stated kind', { ...none, overrides: { a: { kind: 'categorical', test: 'wasserstein' } } }, [{ path: ['overrides', 'a', 'test'], message: /does not apply to categorical/ }]],
    ['override test, kind unstated: left to compare', { ...none, overrides: { a: { test: 'chi2' } } }, []],
    ['p-value threshold on an override test', { ...none, overrides: { a: { test: 'ks', threshold: 5 } } }, [{ path: ['overrides', 'a', 'threshold'], message: /'ks' gives a p-value, so its threshold must be below 1, got 5/ }]],
    ['p-value threshold on a model default', { ...none, defaults: { numeric: { test: 'ks', threshold: 1 } } }, [{ path: ['defaults', 'numeric', 'threshold'], message: /below 1, got 1/ }]],
    ['threshold 5 on the built-in (distance) tests', { ...none, defaults: { numeric: { threshold: 5 } }, overrides: { a: { threshold: 5 } } }, []],
    ['override threshold with the model test of its stated kind', { overrides: { a: { kind: 'numeric', threshold: 3 } }, defaults: { numeric: { test: 'ks' } } }, [{ path: ['overrides', 'a', 'threshold'], message: /'ks' gives a p-value/ }]],
    ['override threshold, kind unstated, one kind a distance: left to compare', { overrides: { a: { threshold: 3 } }, defaults: { numeric: { test: 'ks' } } }, []],
    ['override threshold, kind unstated, both kinds p-value tests', { overrides: { a: { threshold: 3 } }, defaults: { numeric: { test: 'ks' }, categorical: { test: 'chi2' } } }, [{ path: ['overrides', 'a', 'threshold'], message: /test 'ks' or 'chi2'/ }]],
    ['override test beats the model p-value test', { overrides: { a: { test: 'psi', threshold: 3 } }, defaults: { numeric: { test: 'ks' }, categorical: { test: 'chi2' } } }, []],
    ['threshold not finite or not above 0', { ...none, overrides: { a: { threshold: Number.NaN } }, defaults: { numeric: { threshold: 0 } } }, [{ path: ['defaults', 'numeric', 'threshold'], message: /finite number above 0/ }, { path: ['overrides', 'a', 'threshold'], message: /finite number above 0/ }]],
  ];

  it.each(rows)('%s', (_description, options, expected) => {
    // Act
    const problems = testOptionProblems(options);

    // Assess
    expect(problems.map((p) => p.path)).toEqual(expected.map((e) => e.path));
    problems.forEach((problem, i) => expect(problem.message).toMatch(expected[i].message));
  });

  it('refuses at parse time exactly what selectTest would refuse for a column of the stated kind', () => {
    // Prepare: each of these makes selectTest throw for the matching reference
    const cases: [typeof spread | typeof categorical, FeatureOverride | undefined, KindDefault | undefined][] = [
      [spread, { test: 'ks', threshold: 5 }, undefined],
      [categorical, undefined, { test: 'chi2', threshold: 5 }],
      [categorical, { kind: 'categorical', test: 'ks' }, undefined],
      [spread, { kind: 'numeric', threshold: 2 }, { test: 'ks' }],
    ];

    for (const [reference, override, modelDefault] of cases) {
      // Act
      const options = { overrides: override ? { x: override } : {}, defaults: modelDefault ? { [reference.kind]: modelDefault } : {} };
      const parsed = compareOptionsConfigSchema.safeParse(options);

      // Assess
      expect(() => selectTest(reference, override, modelDefault, 'x')).toThrow(ConfigError);
      expect(parsed.success).toBe(false);
      // compare() keeps the looser schema: it reports what depends on the reference itself.
      expect(compareOptionsSchema.safeParse(options).success).toBe(true);
    }
  });
});

describe('Registry: DRIFT_TESTS names', () => {
  it('is the one list: the zod enum, the type guard and the lookup agree with the registry keys', () => {
    // Assess
    expect([...driftTestNames]).toEqual(Object.keys(driftTests));
    expect(Object.keys(DRIFT_TESTS)).toEqual(Object.keys(driftTests));
    expect(compareOptionsConfigSchema.shape.overrides.unwrap().valueType.shape.test.unwrap().options).toEqual([...driftTestNames]);
    for (const name of driftTestNames) expect(isDriftTestName(name)).toBe(true);
    for (const name of ['anderson', 'toString', '__proto__', 'null-share', '']) expect(isDriftTestName(name)).toBe(false);
    expect(Object.values(significanceTestByKind).every(isDriftTestName)).toBe(true);
  });

  it('lists under BUILTIN_TESTS every test the built-in rule picks, all of them distances', () => {
    // Act
    const picked = table.filter(([, , override, modelDefault]) => override === undefined && modelDefault === undefined).map(([, reference]) => [reference.kind, selectTest(reference).test] as const);

    // Assess
    expect(picked.length).toBeGreaterThan(3);
    for (const [kind, test] of picked) expect(BUILTIN_TESTS[kind]).toContain(test);
    for (const tests of Object.values(BUILTIN_TESTS)) for (const test of tests) expect(DRIFT_TESTS[test].scoreKind).toBe('distance');
  });
});
