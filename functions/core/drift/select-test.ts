import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { FeatureOverride, kindDefaultSchema } from './options.js';
import { driftTests, type FeatureKind, type ScoreKind, type TestedColumn } from './registry.js';
import { standardDeviation } from './numeric.js';
import type { ThresholdSource } from './types.js';

/** A model-wide default for one kind (`options.defaults.numeric` / `.categorical`). */
export type KindDefault = z.infer<typeof kindDefaultSchema>;

export interface TestSelection {
  /** Registry name of the deciding test. */
  readonly test: string;
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

function builtinTest(reference: TestedColumn): { test: string; reason: string } {
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
export function assertTestApplies(test: string, kind: FeatureKind, where: string): void {
  const entry = Object.hasOwn(driftTests, test) ? driftTests[test] : undefined;
  if (entry === undefined) {
    throw new ConfigError('compare options', `${where}: unknown drift test '${test}' (known: ${Object.keys(driftTests).join(', ')})`);
  }
  if (!entry.appliesTo.includes(kind)) {
    throw new ConfigError('compare options', `${where}: test '${test}' does not apply to ${kind} features (use one of: ${testsFor(kind).join(', ')})`);
  }
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
  if (override?.test !== undefined) assertTestApplies(override.test, kind, `overrides.${feature}.test`);
  if (modelDefault?.test !== undefined) assertTestApplies(modelDefault.test, kind, `defaults.${kind}.test`);
  const modelTest = modelDefault?.test ?? builtin.test;
  const test = override?.test ?? modelTest;
  const reason =
    override?.test !== undefined
      ? `feature override: ${test}`
      : modelDefault?.test !== undefined
        ? `model default for ${kind}: ${test}`
        : builtin.reason;
  const entry = driftTests[test];
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
