import { z } from 'zod';

/**
 * CONTRACT (owned by the drift module; embedded by the model config of the lifecycle).
 * How a comparison is configured: which features, which test and threshold, which dataset rule.
 */

/** One feature's override: force its kind, its test (a registry name) or its threshold. */
export const featureOverrideSchema = z.strictObject({
  /** Treat the column as numeric or categorical (e.g. integer codes as categorical). */
  kind: z.enum(['numeric', 'categorical']).optional(),
  /** A test name from the drift registry (e.g. "wasserstein", "ks", "psi", "jensenshannon", "chi2"). */
  test: z.string().min(1).optional(),
  threshold: z.number().positive().optional(),
});

/** A model-wide default for one kind of feature. */
export const kindDefaultSchema = z.strictObject({
  test: z.string().min(1).optional(),
  threshold: z.number().positive().optional(),
});

/** The dataset verdict: drift when the share of drifted (non-insufficient) features reaches `share`, or when any listed key feature drifts. */
export const datasetRuleSchema = z.strictObject({
  /** @default 0.5 */
  share: z.number().gt(0).max(1).default(0.5),
  /** Features whose drift alone makes the dataset drift. @default [] */
  keyFeatures: z.array(z.string()).default([]),
});

export const compareOptionsSchema = z.strictObject({
  /** Only these columns are features (default: every column). */
  include: z.array(z.string()).optional(),
  /** Never these columns. */
  exclude: z.array(z.string()).default([]),
  /** Per-feature overrides keyed by column name. */
  overrides: z.record(z.string(), featureOverrideSchema).default({}),
  /** Model-wide defaults per kind. */
  defaults: z
    .strictObject({ numeric: kindDefaultSchema.optional(), categorical: kindDefaultSchema.optional() })
    .default({}),
  datasetRule: datasetRuleSchema.default({ share: 0.5, keyFeatures: [] }),
  /** Test date/timestamp columns as numeric features instead of reporting only their range. @default false */
  testTimeColumns: z.boolean().default(false),
});

export type FeatureOverride = z.infer<typeof featureOverrideSchema>;
export type DatasetRule = z.infer<typeof datasetRuleSchema>;
export type CompareOptions = z.infer<typeof compareOptionsSchema>;
/** What callers may pass: every field optional, defaults applied by `compareOptionsSchema.parse`. */
export type CompareOptionsInput = z.input<typeof compareOptionsSchema>;
