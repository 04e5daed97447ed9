/**
 * CONTRACT (owned by the drift module; consumers: lifecycle, report, CLI, handlers).
 * The result of comparing a current signature with a reference signature.
 */

/** Where a feature's threshold came from. */
export type ThresholdSource = 'feature' | 'model' | 'default';

export interface NumericMetrics {
  readonly ksStat: number;
  readonly ksPValue: number;
  /** Wasserstein-1 distance divided by the reference standard deviation. */
  readonly wassersteinNorm: number;
  readonly psi: number;
  /** Jensen–Shannon distance, base 2, on the reference's bins. */
  readonly jsDistance: number;
}

export interface CategoricalMetrics {
  readonly jsDistance: number;
  readonly psi: number;
  readonly chi2PValue: number;
  /** Share of current non-null values never seen in the reference. */
  readonly unseenShare: number;
}

interface FeatureDriftBase {
  readonly name: string;
  readonly drift: boolean;
  /** `ok`, or `insufficient-data` when the current sample is too small to judge (never drift then). */
  readonly status: 'ok' | 'insufficient-data';
  /** Name of the registry test that decided (e.g. "wasserstein", "jensenshannon"). */
  readonly test: string;
  readonly score: number;
  readonly threshold: number;
  readonly thresholdSource: ThresholdSource;
  /** Whether drift means score >= threshold (distance) or score < threshold (p-value). */
  readonly scoreKind: 'distance' | 'p-value';
  readonly nullShare: { readonly reference: number; readonly current: number };
  readonly count: { readonly reference: number; readonly current: number };
  /** One plain sentence: what moved and by how much. */
  readonly explanation: string;
}

export interface NumericFeatureDrift extends FeatureDriftBase {
  readonly kind: 'numeric';
  readonly metrics: NumericMetrics;
  /** Share of current finite values outside the reference [min, max]. */
  readonly outOfRangeShare: number;
  readonly range: { readonly reference: readonly [number | null, number | null]; readonly current: readonly [number | null, number | null] };
  /** p1, p5, p25, p50, p75, p95, p99 before -> after. */
  readonly quantiles: readonly { readonly p: number; readonly reference: number | null; readonly current: number | null }[];
  /** Reference bins and both distributions on them, for plots. */
  readonly bins: { readonly edges: readonly number[]; readonly reference: readonly number[]; readonly current: readonly number[] };
  readonly mean: { readonly reference: number; readonly current: number };
}

export interface CategoricalFeatureDrift extends FeatureDriftBase {
  readonly kind: 'categorical';
  readonly metrics: CategoricalMetrics;
  /** Top categories with their shares before and after; `unseen` marks values absent from the reference. */
  readonly categories: readonly { readonly value: string; readonly reference: number; readonly current: number; readonly unseen: boolean }[];
}

export type FeatureDrift = NumericFeatureDrift | CategoricalFeatureDrift;

export interface SchemaChanges {
  readonly missing: readonly string[];
  readonly added: readonly string[];
  readonly retyped: readonly { readonly name: string; readonly reference: string; readonly current: string }[];
}

export interface DriftResult {
  readonly schemaVersion: 1;
  readonly drift: boolean;
  readonly verdict: 'drift' | 'no-drift' | 'insufficient-data';
  /** The dataset rule applied and the sentence that explains the verdict. */
  readonly rule: { readonly kind: string; readonly description: string };
  /** Sorted by drift first, then by score relative to threshold, descending. */
  readonly features: readonly FeatureDrift[];
  readonly schema: SchemaChanges;
  /** Time-axis columns: their range, not tested. */
  readonly time: readonly { readonly name: string; readonly reference: readonly [number | null, number | null]; readonly current: readonly [number | null, number | null] }[];
  readonly rowCount: { readonly reference: number; readonly current: number };
  /** Plain-language summary of what moved and by how much. */
  readonly summary: string;
  /** Dataset-level drift score in [0, 1] (share of features drifted, weighted as the rule says), for the cadence. */
  readonly score: number;
  /**
   * Continuous drift index for the cadence: the largest score/threshold ratio over tested features whose
   * test is a distance (1 = at the threshold). The cadence forecasts when it crosses 1.
   * Each feature's ratio is capped by its significance, min(score / threshold, ln p / ln 0.05), so it
   * reaches 1 exactly when the feature drifts and sampling noise in a small batch cannot push it past 1.
   */
  readonly driftIndex: number;
}
