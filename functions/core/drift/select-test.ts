import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { FeatureOverride, kindDefaultSchema } from './options.js';
import {
  DRIFT_TESTS,
  driftTests,
  featureKinds,
  isDriftTestName,
  type DriftTestName,
  type FeatureKind,
  type ScoreKind,
  type TestedColumn,
} from './registry.js';
import { standardDeviation } from './numeric.js';
import type { ThresholdSource } from './types.js';

/** A model-wide default for one kind (`options.defaults.numeric` / `.categorical`). */
export type KindDefault = z.infer<typeof kindDefaultSchema>;

export interface TestSelection {
  /** Registry name of the deciding test. */
  readonly test: DriftTestName;
  readonly threshold: number;
  readonly thresholdSource: ThresholdSource;
  readonly scoreKind: ScoreKind;
  /** Why this test: the rule (or override) that chose it, in one clause. */
  readonly reason: string;
}

/**
 * The built-in rule, a function of the reference signature alone (so a stored reference always gets the
 * same choice, whatever the current batch looks like):
 * - numeric with spread (σ_ref > 0): `wasserstein` / 0.1 — the distance in reference standard deviations
 *   reads the same for every feature and unit, and does not depend on where bins fall;
 * - numeric constant or empty (σ_ref = 0): `jensenshannon` / 0.1 on the reference bins — Wasserstein has
 *   no scale to be divided by;
 * - categorical (any cardinality): `jensenshannon` / 0.1 — bounded in [0, 1], symmetric, and defined when
 *   categories appear or vanish (PSI needs an arbitrary floor there).
 * Sample size is deliberately not part of the choice: every distance test is gated by a significance test
 * on the actual current sample (see compare.ts), which handles small and large batches alike.
 */
export const SELECTION_RULE =
  'numeric: wasserstein (distance in reference σ) unless the reference is constant, then jensenshannon on its bins; categorical: jensenshannon';

/** Every test the built-in rule may choose for a kind (which one depends on the reference; see builtinTest). */
export const BUILTIN_TESTS: Readonly<Record<FeatureKind, readonly DriftTestName[]>> = Object.freeze({
  numeric: ['wasserstein', 'jensenshannon'],
  categorical: ['jensenshannon'],
});

function builtinTest(reference: TestedColumn): { test: DriftTestName; reason: string } {
  if (reference.kind === 'numeric') {
    return standardDeviation(reference) > 0
      ? { test: 'wasserstein', reason: 'numeric with spread: Wasserstein in reference σ' }
      : { test: 'jensenshannon', reason: 'numeric but constant in the reference: Jensen–Shannon on its bins' };
  }
  return { test: 'jensenshannon', reason: 'categorical: Jensen–Shannon distance' };
}

/** Names of the tests that apply to a kind. */
export function testsFor(kind: FeatureKind): string[] {
  return Object.values(driftTests)
    .filter((t) => t.appliesTo.includes(kind))
    .map((t) => t.name);
}

/** Throw a ConfigError unless `test` is a registry test applying to `kind`; `where` names the option. */
export function assertTestApplies(test: string, kind: FeatureKind, where: string): asserts test is DriftTestName {
  const entry = isDriftTestName(test) ? DRIFT_TESTS[test] : undefined;
  if (entry === undefined) {
    throw new ConfigError('compare options', `${where}: unknown drift test '${test}' (known: ${Object.keys(driftTests).join(', ')})`);
  }
  if (!entry.appliesTo.includes(kind)) {
    throw new ConfigError('compare options', `${where}: test '${test}' does not apply to ${kind} features (use one of: ${testsFor(kind).join(', ')})`);
  }
}

/** A problem with the tests or thresholds of compare options, at a path relative to the options. */
export interface TestOptionProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/** What testOptionProblems reads of compare options. */
export interface TestOptions {
  readonly overrides: Readonly<Record<string, FeatureOverride>>;
  readonly defaults: { readonly numeric?: KindDefault; readonly categorical?: KindDefault };
}

function unknownTest(test: string): string {
  return `unknown drift test '${test}' (known: ${Object.keys(DRIFT_TESTS).join(', ')})`;
}

/** Why `test` cannot judge a `kind` feature, or undefined when it can. */
function applyProblem(test: string, kind: FeatureKind): string | undefined {
  if (!isDriftTestName(test)) return unknownTest(test);
  if (DRIFT_TESTS[test].appliesTo.includes(kind)) return undefined;
  return `test '${test}' does not apply to ${kind} features (use one of: ${testsFor(kind).join(', ')})`;
}

/** Why `threshold` cannot be used when the test is one of `candidates`, or undefined when it can. */
function thresholdProblem(candidates: readonly string[], threshold: number): string | undefined {
  if (!(threshold > 0) || !Number.isFinite(threshold)) return `a threshold must be a finite number above 0, got ${threshold}`;
  // Only a certain p-value test is refused here; when the column's kind decides, compare() checks it.
  if (threshold < 1 || candidates.length === 0) return undefined;
  if (!candidates.every((t) => isDriftTestName(t) && DRIFT_TESTS[t].scoreKind === 'p-value')) return undefined;
  const tests = [...new Set(candidates)].map((t) => `'${t}'`).join(' or ');
  return `test ${tests} gives a p-value, so its threshold must be below 1, got ${threshold}`;
}

/**
 * Everything selectTest would refuse that the options alone decide, so that a config is refused when it is
 * read, not at its first check: an unknown test; a test for the wrong kind where the kind is stated (a
 * per-kind default, or an override with `kind`); a threshold that is not finite and above 0; a threshold of
 * 1 or more where the test is certainly a p-value test (the override's, or the model default of the
 * override's kind, or of both kinds). What only a column's kind in the reference decides stays with compare().
 * @example testOptionProblems({ overrides: { a: { test: 'ks', threshold: 5 } }, defaults: {} }) // [{ path: ['overrides', 'a', 'threshold'], ... }]
 */
export function testOptionProblems(options: TestOptions): TestOptionProblem[] {
  const problems: TestOptionProblem[] = [];
  const push = (path: string[], message: string | undefined): void => {
    if (message !== undefined) problems.push({ path, message });
  };
  // The tests a feature of each kind may get when its override names none (model default, else built-in).
  const modelTests = {} as Record<FeatureKind, readonly string[]>;
  for (const kind of featureKinds) {
    const modelDefault = options.defaults[kind];
    if (modelDefault?.test !== undefined) push(['defaults', kind, 'test'], applyProblem(modelDefault.test, kind));
    modelTests[kind] = modelDefault?.test !== undefined ? [modelDefault.test] : BUILTIN_TESTS[kind];
    if (modelDefault?.threshold !== undefined) push(['defaults', kind, 'threshold'], thresholdProblem(modelTests[kind], modelDefault.threshold));
  }
  for (const [name, override] of Object.entries(options.overrides)) {
    if (override.test !== undefined) {
      push(['overrides', name, 'test'], override.kind !== undefined ? applyProblem(override.test, override.kind) : isDriftTestName(override.test) ? undefined : unknownTest(override.test));
    }
    if (override.threshold !== undefined) {
      const candidates =
        override.test !== undefined ? [override.test] : override.kind !== undefined ? modelTests[override.kind] : featureKinds.flatMap((kind) => modelTests[kind]);
      push(['overrides', name, 'threshold'], thresholdProblem(candidates, override.threshold));
    }
  }
  return problems;
}

/**
 * Choose a feature's test and threshold: the test from the feature override, else the model default for
 * its kind, else the built-in rule (SELECTION_RULE); the threshold from the feature override ('feature'),
 * else the model default when it is about the same test ('model'), else the test's registry default ('default').
 * @example selectTest(reference.columns.delay, { threshold: 0.2 }) // { test: 'wasserstein', threshold: 0.2, thresholdSource: 'feature', ... }
 */
export function selectTest(
  reference: TestedColumn,
  override?: FeatureOverride,
  modelDefault?: KindDefault,
  feature = 'feature',
): TestSelection {
  const kind = reference.kind;
  const builtin = builtinTest(reference);
  const overrideTest = override?.test;
  const defaultTest = modelDefault?.test;
  if (overrideTest !== undefined) assertTestApplies(overrideTest, kind, `overrides.${feature}.test`);
  if (defaultTest !== undefined) assertTestApplies(defaultTest, kind, `defaults.${kind}.test`);
  const modelTest = defaultTest ?? builtin.test;
  const test = overrideTest ?? modelTest;
  const reason =
    override?.test !== undefined
      ? `feature override: ${test}`
      : modelDefault?.test !== undefined
        ? `model default for ${kind}: ${test}`
        : builtin.reason;
  const entry = DRIFT_TESTS[test];
  let threshold = entry.defaultThreshold;
  let thresholdSource: ThresholdSource = 'default';
  if (override?.threshold !== undefined) {
    threshold = override.threshold;
    thresholdSource = 'feature';
  } else if (modelDefault?.threshold !== undefined && test === modelTest) {
    // A model threshold is meant for the model's test; a feature that overrides the test keeps that test's default.
    threshold = modelDefault.threshold;
    thresholdSource = 'model';
  }
  if (entry.scoreKind === 'p-value' && !(threshold < 1)) {
    const where = thresholdSource === 'feature' ? `overrides.${feature}.threshold` : `defaults.${kind}.threshold`;
    throw new ConfigError('compare options', `${where}: test '${test}' gives a p-value, so its threshold must be below 1, got ${threshold}`);
  }
  return { test, threshold, thresholdSource, scoreKind: entry.scoreKind, reason };
}
