import type { CategoricalColumnSignature, NumericColumnSignature } from '../signature/types.js';
import { categoricalJensenShannon, categoricalPsi, chiSquareFromSignatures } from './categorical.js';
import { numericJensenShannon, numericPsi, numericStats, wassersteinNorm } from './numeric.js';

/**
 * The registry of drift tests, in the manner of Evidently: each entry says what it applies to, whether its
 * score is a p-value (drift when below the threshold) or a distance (drift when at/above), its default
 * threshold and the function. Shared code reads `scoreKind` and `appliesTo`; it never branches on a name.
 */

export const featureKinds = ['numeric', 'categorical'] as const;
/** The two kinds of tested feature. */
export type FeatureKind = (typeof featureKinds)[number];

/** p-value: drift when score < threshold. distance: drift when score >= threshold. */
export type ScoreKind = 'distance' | 'p-value';

/** A column signature a drift test can compare. */
export type TestedColumn = NumericColumnSignature | CategoricalColumnSignature;

export interface DriftTest {
  readonly name: string;
  readonly appliesTo: readonly FeatureKind[];
  readonly scoreKind: ScoreKind;
  readonly defaultThreshold: number;
  /** Short label for sentences, e.g. "Wasserstein" or "KS p". */
  readonly label: string;
  /** Unit appended to the score in sentences (e.g. " σ"), or "". */
  readonly unit: string;
  /** The score of `current` against `reference`; both have the same kind, one listed in `appliesTo`. */
  readonly fn: (reference: TestedColumn, current: TestedColumn) => number;
}

/** Numeric-only adapter: the registry guarantees both sides are numeric before calling. */
function numeric(fn: (r: NumericColumnSignature, c: NumericColumnSignature) => number): DriftTest['fn'] {
  return (r, c) => {
    if (r.kind !== 'numeric' || c.kind !== 'numeric') throw new TypeError('numeric test called on a non-numeric column');
    return fn(r, c);
  };
}

function categorical(fn: (r: CategoricalColumnSignature, c: CategoricalColumnSignature) => number): DriftTest['fn'] {
  return (r, c) => {
    if (r.kind !== 'categorical' || c.kind !== 'categorical') {
      throw new TypeError('categorical test called on a non-categorical column');
    }
    return fn(r, c);
  };
}

function eitherKind(
  onNumeric: (r: NumericColumnSignature, c: NumericColumnSignature) => number,
  onCategorical: (r: CategoricalColumnSignature, c: CategoricalColumnSignature) => number,
): DriftTest['fn'] {
  return (r, c) => {
    if (r.kind === 'numeric' && c.kind === 'numeric') return onNumeric(r, c);
    if (r.kind === 'categorical' && c.kind === 'categorical') return onCategorical(r, c);
    throw new TypeError(`test called on columns of different kinds (${r.kind}, ${c.kind})`);
  };
}

/** The entries, kept literal so their keys become DriftTestName. */
const entries = {
  ks: {
    name: 'ks',
    appliesTo: ['numeric'],
    scoreKind: 'p-value',
    defaultThreshold: 0.05,
    label: 'KS p',
    unit: '',
    fn: numeric((r, c) => numericStats(r, c).ks.pValue),
  },
  wasserstein: {
    name: 'wasserstein',
    appliesTo: ['numeric'],
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    label: 'Wasserstein',
    unit: ' σ',
    fn: numeric(wassersteinNorm),
  },
  psi: {
    name: 'psi',
    appliesTo: ['numeric', 'categorical'],
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    label: 'PSI',
    unit: '',
    fn: eitherKind(numericPsi, categoricalPsi),
  },
  jensenshannon: {
    name: 'jensenshannon',
    appliesTo: ['numeric', 'categorical'],
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    label: 'JS distance',
    unit: '',
    fn: eitherKind(numericJensenShannon, categoricalJensenShannon),
  },
  chi2: {
    name: 'chi2',
    appliesTo: ['categorical'],
    scoreKind: 'p-value',
    defaultThreshold: 0.05,
    label: 'chi² p',
    unit: '',
    fn: categorical((r, c) => chiSquareFromSignatures(r, c).pValue),
  },
} satisfies Record<string, DriftTest>;

/** The name of a registry test. */
export type DriftTestName = keyof typeof entries;

/**
 * The registry of drift tests by name: the one list of test names. Config validation takes its keys as a
 * zod enum (`driftTestNames`), so a name the code does not know is refused when the config is read.
 */
export const DRIFT_TESTS: Readonly<Record<DriftTestName, DriftTest>> = Object.freeze(entries);

/** Every registry test name, in registry order (a non-empty tuple, as `z.enum` wants). */
export const driftTestNames = Object.freeze(Object.keys(DRIFT_TESTS)) as readonly [DriftTestName, ...DriftTestName[]];

/** True when `name` is a registry test (an own key, so "toString" or "__proto__" are not). */
export function isDriftTestName(name: string): name is DriftTestName {
  return Object.hasOwn(DRIFT_TESTS, name);
}

/** The registry looked up by any string (a stored result may name a test this version does not know, e.g. the former "null-share"); same entries as DRIFT_TESTS. */
export const driftTests: Readonly<Record<string, DriftTest>> = DRIFT_TESTS;

/**
 * The significance test that gates a distance test per kind: a distance at/above its threshold counts as
 * drift only when this test's p-value is below SIGNIFICANCE_LEVEL for the current sample size.
 */
export const significanceTestByKind: Readonly<Record<FeatureKind, DriftTestName>> = Object.freeze({
  numeric: 'ks',
  categorical: 'chi2',
});

/** Significance level of the gating test. */
export const SIGNIFICANCE_LEVEL = 0.05;
