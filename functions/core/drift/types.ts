/**
 * CONTRACT (owned by the drift module; consumers: lifecycle, report, CLI, handlers).
 * The result of comparing a current signature with a reference signature: one zod schema, the types
 * inferred from it. compare builds it, stored documents (report JSON) parse it back.
 */
import { sliceDriftSchema } from './slice-types.js';
import { z } from 'zod';
import { formatIsoMs } from '../format.js';
import { jsonNumberSchema as num, type DeepReadonly } from './json-number.js';

const nullableNum = num.nullable();
/** [min, max] of a column's finite values, null when it had none. */
const rangeSchema = z.tuple([nullableNum, nullableNum]);
const beforeAfter = z.object({ reference: num, current: num });

/** The dataset verdict: 'drift' exactly when the action is 'drift'. */
export const driftVerdictSchema = z.enum(['drift', 'no-drift', 'insufficient-data']);
export type DriftVerdict = z.output<typeof driftVerdictSchema>;

/**
 * What a check asks people to do (action.ts `decideAction`): `data-quality` — fix the pipeline, do not
 * retrain on this batch; `drift` — retraining advised; `watch` — something moved, not enough to retrain;
 * `none` — nothing to do.
 */
export const driftActionSchema = z.enum(['none', 'watch', 'drift', 'data-quality']);
export type DriftAction = z.output<typeof driftActionSchema>;

/** The kinds of data-quality finding (incidents.ts says when each is raised). */
export const incidentKindSchema = z.enum(['missing-column', 'retyped-column', 'null-surge', 'all-null', 'out-of-range-jump', 'row-collapse']);
export type IncidentKind = z.output<typeof incidentKindSchema>;

/** One data-quality finding: a broken pipeline rather than a changed world. */
export const incidentSchema = z.object({
  kind: incidentKindSchema,
  /** The column it concerns; absent for a batch-wide finding (row-collapse). */
  feature: z.string().optional(),
  /** One plain sentence with the figures, names quoted by the plain-text rule. */
  detail: z.string(),
});
export type Incident = DeepReadonly<z.output<typeof incidentSchema>>;

/** Where a feature's threshold came from; `noise-floor` when sampling noise at these sizes lies above the configured one (noise.ts). */
export const thresholdSourceSchema = z.enum(['feature', 'model', 'default', 'noise-floor']);
export type ThresholdSource = z.output<typeof thresholdSourceSchema>;

export const numericMetricsSchema = z.object({
  ksStat: num,
  ksPValue: num,
  /** Wasserstein-1 distance divided by the reference standard deviation. */
  wassersteinNorm: num,
  psi: num,
  /** Jensen–Shannon distance, base 2, on the reference's bins. */
  jsDistance: num,
});
export type NumericMetrics = DeepReadonly<z.output<typeof numericMetricsSchema>>;

export const categoricalMetricsSchema = z.object({
  /** Over the categories known on both sides plus one "(other)" cell (see `topK`). */
  jsDistance: num,
  psi: num,
  chi2PValue: num,
  /** Share of current non-null values never seen in the reference. */
  unseenShare: num,
});
export type CategoricalMetrics = DeepReadonly<z.output<typeof categoricalMetricsSchema>>;

/**
 * Where a numeric feature's KS and Wasserstein come from (drift/numeric.ts NumericResolution) and how far
 * from exact they can be: the exact KS lies in [ksStat, ksStat + ksError]; |wassersteinNorm − exact| ≤
 * wassersteinError. Both 0 for `exact-counts`.
 */
export const resolutionSchema = z.object({
  source: z.enum(['exact-counts', 'centred-sketch', 'sketch', 'coarse-sketch']),
  ksError: num,
  wassersteinError: num,
});
export type Resolution = DeepReadonly<z.output<typeof resolutionSchema>>;

/**
 * The smallest effect this batch could have caught (noise.ts): a location shift in reference σ, or a Jensen–Shannon
 * distance. `effect` is the smallest that would change the action to `drift` (this feature moving alone: its flag,
 * significance within its share of the false-action budget, and its material bar unless it alone meets the dataset
 * rule); `flagged`, when present and smaller, is the smallest the feature's own rule would flag (`watch` only).
 */
export const detectableSchema = z.object({ effect: num, unit: z.enum(['sd-shift', 'js-distance']), flagged: num.optional() });
export type Detectable = DeepReadonly<z.output<typeof detectableSchema>>;

const featureDriftBase = {
  name: z.string(),
  drift: z.boolean(),
  /** `ok`, or `insufficient-data` when the current sample is too small to judge (never drift then). */
  status: z.enum(['ok', 'insufficient-data']),
  /** Name of the registry test that decided (e.g. "wasserstein", "jensenshannon"; results stored before action classes may say "null-share"). */
  test: z.string(),
  score: num,
  threshold: num,
  thresholdSource: thresholdSourceSchema,
  /** Whether drift means score >= threshold (distance) or score < threshold (p-value). */
  scoreKind: z.enum(['distance', 'p-value']),
  /**
   * How far past its decision the feature is, 1 = at the boundary: ≥ 1 exactly when it drifts, -1 when not
   * judged. Computed once, with the verdict (compare's `severityOf`); reports, notices and ranking read it.
   */
  severity: num,
  nullShare: beforeAfter,
  count: beforeAfter,
  /** One plain sentence: what moved and by how much. */
  explanation: z.string(),
  /** The distance same-distribution samples of these sizes exceed 1 % of the time (noise.ts); the threshold is never below it. Absent for p-value tests and older results. */
  noiseFloor: num.optional(),
  /** The gate's Benjamini–Hochberg adjusted p-value across the judged features (absent for p-value tests and older results). */
  adjustedPValue: num.optional(),
  /** The smallest effect the feature's rule would flag about half the time at these sizes (absent in older results). */
  detectable: detectableSchema.optional(),
};

export const numericFeatureDriftSchema = z.object({
  ...featureDriftBase,
  kind: z.literal('numeric'),
  metrics: numericMetricsSchema,
  /** Share of current finite values outside the reference [min, max]. */
  outOfRangeShare: num,
  range: z.object({ reference: rangeSchema, current: rangeSchema }),
  /** p1, p5, p25, p50, p75, p95, p99 before -> after. */
  quantiles: z.array(z.object({ p: num, reference: nullableNum, current: nullableNum })),
  /** Reference bins and both distributions on them, for plots. */
  bins: z.object({ edges: z.array(num), reference: z.array(num), current: z.array(num) }),
  mean: beforeAfter,
  /** Where KS and Wasserstein come from and their error bounds (absent in older results). */
  resolution: resolutionSchema.optional(),
});
export type NumericFeatureDrift = DeepReadonly<z.output<typeof numericFeatureDriftSchema>>;

export const categoricalFeatureDriftSchema = z.object({
  ...featureDriftBase,
  kind: z.literal('categorical'),
  metrics: categoricalMetricsSchema,
  /**
   * Set when either side spilled values into "(other)" (more categories than its top-K list keeps): the
   * distances are over the top K plus "(other)", not over the full distribution; K is the smaller list's.
   */
  topK: z.object({ k: num, otherShare: beforeAfter }).optional(),
  /** Top categories with their shares before and after; `unseen` marks values absent from the reference. */
  categories: z.array(z.object({ value: z.string(), reference: num, current: num, unseen: z.boolean() })),
});
export type CategoricalFeatureDrift = DeepReadonly<z.output<typeof categoricalFeatureDriftSchema>>;

export const featureDriftSchema = z.discriminatedUnion('kind', [numericFeatureDriftSchema, categoricalFeatureDriftSchema]);
export type FeatureDrift = NumericFeatureDrift | CategoricalFeatureDrift;

export const schemaChangesSchema = z.object({
  missing: z.array(z.string()),
  added: z.array(z.string()),
  retyped: z.array(z.object({ name: z.string(), reference: z.string(), current: z.string() })),
});
export type SchemaChanges = DeepReadonly<z.output<typeof schemaChangesSchema>>;

/** A time-axis column: its range, not tested. */
/**
 * A data time as ISO 8601 UTC (`formatIsoMs`, so also beyond Date's range, e.g. "+5881580-07-11T00:00:00.000Z"),
 * null when that side has none. Results before wave 2 held ms since epoch: they read as ISO.
 */
const isoBound = z.preprocess((v) => (typeof v === 'number' ? formatIsoMs(v) : v), z.string().nullable());
const isoRangeSchema = z.tuple([isoBound, isoBound]);
export const timeRangeSchema = z.object({ name: z.string(), reference: isoRangeSchema, current: isoRangeSchema });
export type TimeRange = DeepReadonly<z.output<typeof timeRangeSchema>>;

/** Names of inputs a result lists per side; `count` says how many there were in all. */
export const INPUT_NAMES_SHOWN = 20;

/** The files or batch keys one side of a comparison was made from (its signature's sources). */
export const inputSideSchema = z.object({ sources: z.array(z.string()).max(INPUT_NAMES_SHOWN), count: num });

export const driftResultSchema = z
  .object({
    /** Stored inside a versioned document (report JSON 3 added `action`, `actionReason`, `incidents`; report-json.ts upgrades older ones). */
    schemaVersion: z.literal(1),
    /** True exactly when `action` is 'drift' (kept for consumers that read only this). */
    drift: z.boolean(),
    verdict: driftVerdictSchema,
    /** What to do about this batch; data-quality wins over drift (see action.ts). */
    action: driftActionSchema,
    /** One plain sentence naming the top reason for the action. */
    actionReason: z.string(),
    /** Data-quality findings, most serious first; the action is 'data-quality' exactly when there is one. */
    incidents: z.array(incidentSchema),
    /** The rule applied (kind) and its sentence: the action classes, the dataset rule, the per-feature rule. */
    rule: z.object({ kind: z.string(), description: z.string() }),
    /** Ranked by `rankFeatures` (drift first, then severity descending, then name). */
    features: z.array(featureDriftSchema),
    schema: schemaChangesSchema,
    /** Time-axis columns: their range, not tested. */
    time: z.array(timeRangeSchema),
    rowCount: beforeAfter,
    /** What was compared: the first INPUT_NAMES_SHOWN source names of each side and their number (absent in results before wave 2). */
    inputs: z.object({ reference: inputSideSchema, current: inputSideSchema }).optional(),
    /** Plain-language summary of what moved and by how much. */
    summary: z.string(),
    /** Dataset-level drift score in [0, 1] (share of features drifted, weighted as the rule says), for the cadence. */
    score: num,
    /**
     * Continuous drift index for the cadence: the largest severity over tested features whose test is a
     * distance (1 = at the threshold). The cadence forecasts when it crosses 1.
     * Each feature's severity is capped by its significance, min(score / threshold, ln p / ln 0.05), so it
     * reaches 1 exactly when the feature drifts and sampling noise in a small batch cannot push it past 1.
     */
    driftIndex: num,
    /** Per-slice results (drift/slices.ts), when the model slices by a column; absent otherwise. */
    slices: z.array(sliceDriftSchema).optional(),
  })
  .superRefine((r, ctx) => {
    // The compatibility fields say the same as the action, and incidents come with (only) data-quality.
    const isDrift = r.action === 'drift';
    if (r.drift !== isDrift) ctx.addIssue({ code: 'custom', path: ['drift'], message: `drift must be ${isDrift} when action is '${r.action}'` });
    if ((r.verdict === 'drift') !== isDrift) ctx.addIssue({ code: 'custom', path: ['verdict'], message: `verdict '${r.verdict}' does not match action '${r.action}'` });
    if ((r.incidents.length > 0) !== (r.action === 'data-quality')) {
      ctx.addIssue({ code: 'custom', path: ['incidents'], message: `action '${r.action}' with ${r.incidents.length} incidents: data-quality exactly when there is an incident` });
    }
  });
export type DriftResult = DeepReadonly<z.output<typeof driftResultSchema>>;
