import { z } from 'zod';
import { driftTestNames } from './registry.js';
import { testOptionProblems } from './select-test.js';

/**
 * CONTRACT (owned by the drift module; embedded by the model config of the lifecycle).
 * How a comparison is configured: which features, which test and threshold, which dataset rule.
 */

/** One feature's override: force its kind, its test (a registry name) or its threshold. */
/** One recurring UTC window (see featureOverrideSchema.exemptWindows). */
export const exemptWindowSchema = z
  .strictObject({
    month: z.number().int().min(1).max(12).optional(),
    weekday: z.number().int().min(0).max(6).optional(),
    hour: z.number().int().min(0).max(23).optional(),
  })
  .refine((w) => w.month !== undefined || w.weekday !== undefined || w.hour !== undefined, 'expected at least one of month (1–12), weekday (0–6, 0 = Sunday) or hour (0–23)');
export type ExemptWindow = z.infer<typeof exemptWindowSchema>;

export const featureOverrideSchema = z.strictObject({
  /** Treat the column as numeric or categorical (e.g. integer codes as categorical). */
  kind: z.enum(['numeric', 'categorical']).optional(),
  /** A test name from the drift registry (e.g. "wasserstein", "ks", "psi", "jensenshannon", "chi2"). */
  test: z.string().min(1).optional(),
  threshold: z.number().positive().optional(),
  /**
   * Recurring UTC windows in which this feature's drift is still reported but never drives a retrain proposal
   * (marked "exempt: recurring window …"); each names at least one of month (1–12), weekday (0 = Sunday … 6)
   * and hour (0–23), all named fields must match. Written by an accepted suggestion (core/lifecycle/autonomy.ts). @default none
   */
  exemptWindows: z.array(exemptWindowSchema).max(12).optional(),
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

/** Most features a featureImportance map may name. */
export const MAX_IMPORTANCE_ENTRIES = 10_000;

/**
 * Feature importances from the retraining system (mean |SHAP|, permutation importance or gain): feature →
 * non-negative finite weight, any scale (only ratios matter). The dataset decision weighs drifted features by
 * them (action.ts); a judged feature the map does not name weighs 0.
 */
export const featureImportanceSchema = z
  .record(z.string().min(1), z.number().nonnegative().finite(), { error: 'expected a map of feature name to a non-negative finite number' })
  .refine((m) => Object.keys(m).length <= MAX_IMPORTANCE_ENTRIES, `expected at most ${MAX_IMPORTANCE_ENTRIES} features`)
  .refine((m) => Object.keys(m).length === 0 || Object.values(m).some((w) => w > 0), 'expected at least one importance above 0');

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
  /** Feature importances weighing the dataset decision (see featureImportanceSchema). @default every judged feature weighs 1 */
  featureImportance: featureImportanceSchema.optional(),
});

export type FeatureOverride = z.infer<typeof featureOverrideSchema>;
export type DatasetRule = z.infer<typeof datasetRuleSchema>;
export type CompareOptions = z.infer<typeof compareOptionsSchema>;
/** What callers may pass: every field optional, defaults applied by `compareOptionsSchema.parse`. */
export type CompareOptionsInput = z.input<typeof compareOptionsSchema>;

// ------------------------------------------------------------------ as a model config states them (strict)

/** The longest feature (column) name a config may name, in characters. @default 256 */
export const MAX_FEATURE_NAME_LENGTH = 256;

/** C0 and C1 control characters (NUL, newline, ESC, ...): never part of a name a person wrote. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** A feature (column) name in a config: 1..MAX_FEATURE_NAME_LENGTH characters, no control characters. */
export const featureNameSchema = z
  .string()
  .min(1, 'expected a column name, got ""')
  .max(MAX_FEATURE_NAME_LENGTH, `expected a column name of at most ${MAX_FEATURE_NAME_LENGTH} characters`)
  .refine((name) => !CONTROL_CHARACTER.test(name), 'a column name must not contain control characters');

/** A test name of the drift registry: the registry's keys are the one list (see registry.ts DRIFT_TESTS). */
export const driftTestNameSchema = z.enum(driftTestNames);

/** One feature's override in a model config: as featureOverrideSchema, with the test a registry name. */
export const featureOverrideConfigSchema = featureOverrideSchema.extend({
  /** A registry test name; when `kind` is stated too, a test that does not apply to it is refused. */
  test: driftTestNameSchema.optional(),
  /** Finite and above 0; below 1 when the test gives a p-value. @default the test's registry default */
  threshold: z.number().positive().optional(),
});

/** A per-kind default in a model config: as kindDefaultSchema, with the test a registry name. */
export const kindDefaultConfigSchema = kindDefaultSchema.extend({
  /** A registry test that applies to the kind. @default the built-in rule (see select-test.ts) */
  test: driftTestNameSchema.optional(),
  /** Finite and above 0; below 1 when the test gives a p-value. @default the test's registry default */
  threshold: z.number().positive().optional(),
});

/**
 * Compare options as a model config states them: every name a bounded column name, every test a registry
 * name, and what testOptionProblems finds (a test for the stated kind, a p-value threshold below 1) refused
 * when the config is read rather than at its first check. compare() itself takes the looser
 * compareOptionsSchema, and reports what depends on the reference's column kinds.
 */
export const compareOptionsConfigSchema = compareOptionsSchema
  .extend({
    include: z.array(featureNameSchema).optional(),
    exclude: z.array(featureNameSchema).default([]),
    overrides: z
      .record(featureNameSchema, featureOverrideConfigSchema, {
        // The key's own reason ("at most 256 characters"), not zod's bare "Invalid key in record".
        error: (issue) => (issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : undefined),
      })
      .default({}),
    defaults: z
      .strictObject({ numeric: kindDefaultConfigSchema.optional(), categorical: kindDefaultConfigSchema.optional() })
      .default({}),
    datasetRule: datasetRuleSchema.extend({ keyFeatures: z.array(featureNameSchema).default([]) }).default({ share: 0.5, keyFeatures: [] }),
  })
  .superRefine((options, ctx) => {
    for (const problem of testOptionProblems(options)) ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
  });

/** Compare options parsed from a model config (test names typed by the registry). */
export type CompareOptionsConfig = z.infer<typeof compareOptionsConfigSchema>;
