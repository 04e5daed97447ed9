/**
 * The adoption manifest: how a retraining system (or a person, with `driftgate adopt`) tells the deployed
 * app that a model version was trained on some data. It is uploaded to `adoptions/<modelId>/<version>.json`;
 * the adopt function validates it here and installs the training data's signature as the model's reference.
 *
 * ```json
 * { "schemaVersion": 1, "modelId": "fraud", "version": "v2",
 *   "trainingData": ["training/fraud/v2/part-0.parquet"], "proposalId": "optional" }
 * ```
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { KEY_PREFIX } from '../constants.js';
import { modelConfigSchema } from './config.js';
import { featureImportanceSchema } from '../drift/options.js';

/** Where adoption manifests are uploaded; the bucket notification of the adopt function filters on it. */
export const ADOPTIONS_PREFIX = KEY_PREFIX.adoptions;

/**
 * The only prefix training data may live under: the deployed adopt function is granted read access to
 * `training/*` and nothing else a manifest could name (never `batches/`, which other models' batches share).
 */
export const TRAINING_PREFIX = KEY_PREFIX.training;

/** A model version: key-safe, since it names both the manifest and the reference signature. */
const versionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a version of 1-128 characters: letters, digits, ".", "_", "-", not starting with "." "_" "-"');

const trainingKeySchema = z
  .string()
  .refine((key) => key.startsWith(TRAINING_PREFIX) && key.length > TRAINING_PREFIX.length, {
    message: `expected a key under "${TRAINING_PREFIX}" (the adopt function may read only ${TRAINING_PREFIX}*), e.g. "${TRAINING_PREFIX}fraud/v2/part-0.parquet"`,
  })
  .refine((key) => !key.split('/').some((part) => part === '..' || part === '.') && !key.includes('//'), {
    message: 'expected a plain object key without "." or ".." segments or empty segments',
  })
  .refine((key) => !key.endsWith('/'), { message: 'expected an object key, not a folder (ends with "/")' });

/** The schema of an adoption manifest (schemaVersion 1). */
export const adoptionManifestSchema = z.strictObject({
  /** Version of this document's shape. Always 1. */
  schemaVersion: z.literal(1),
  /** The model's id; must match the `<modelId>` of the manifest's key. */
  modelId: modelConfigSchema.shape.modelId,
  /** The new model version; must match the `<version>` of the manifest's key. */
  version: versionSchema,
  /** Keys (in the same bucket, under `training/`) of the Parquet / Arrow IPC files the version was trained on. */
  trainingData: z
    .array(trainingKeySchema)
    .min(1, 'expected at least one training data key')
    .max(10_000, 'expected at most 10000 training data keys')
    .refine((keys) => new Set(keys).size === keys.length, { message: 'expected each training data key once' }),
  /** The retrain proposal this version answers, if any (recorded for traceability). */
  proposalId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a proposal id such as "20260101T000000Z-0123456789"')
    .optional(),
  // Retrain outcome (all optional; reported by the retraining system, kept in the model's outcome history).
  /** The new version's score on the retraining system's validation set, in the unit of `metric`. */
  validationScore: z.number().finite().optional(),
  /** The previous (currently deployed) version's score on the same validation set, for the gain. */
  previousScore: z.number().finite().optional(),
  /** The metric both scores are in, and which way is better (e.g. `{ "name": "auc", "direction": "higher-is-better" }`). */
  metric: z
    .strictObject({
      /** The metric's name as the retraining system calls it; 1-64 characters. */
      name: z.string().min(1).max(64),
      /** `higher-is-better` (AUC, accuracy) or `lower-is-better` (log loss, RMSE). */
      direction: z.enum(['higher-is-better', 'lower-is-better']),
    })
    .optional(),
  /**
   * Validation score by training-set size: the retrain's learning curve (2..200 points, distinct row
   * counts). driftgate fits it (core/learning/curve.ts) and recommends the next retrain's size.
   */
  learningCurve: z
    .array(z.strictObject({ /** Training rows used. */ rows: z.number().int().positive(), /** The validation score at that size. */ score: z.number().finite() }))
    .min(1, 'expected at least one learning-curve point')
    .max(200, 'expected at most 200 learning-curve points')
    .refine((points) => new Set(points.map((p) => p.rows)).size === points.length, { message: 'expected each row count once' })
    .optional(),
  /**
   * What became of the retrain: `adopted` (deployed; its training data becomes the reference), `failed`
   * (never deployed) or `rolled-back` (deployed, then withdrawn). A failed or rolled-back retrain installs
   * nothing and is recorded as a `lesson` in the decision log.
   * @default "adopted"
   */
  status: z.enum(['adopted', 'failed', 'rolled-back']).optional(),
  /** The version's feature importances (mean |SHAP|, permutation importance or gain): feature → non-negative weight; weighs the dataset decision (drift/action.ts). */
  featureImportance: featureImportanceSchema.optional(),
});

/** A validated adoption manifest. */
export type AdoptionManifest = z.infer<typeof adoptionManifestSchema>;

/**
 * The key an adoption manifest is uploaded to.
 * @example
 * adoptionManifestKey('fraud', 'v2'); // 'adoptions/fraud/v2.json'
 */
export function adoptionManifestKey(modelId: string, version: string): string {
  return `${ADOPTIONS_PREFIX}${modelId}/${version}.json`;
}

/** The model id and version a manifest key names, or undefined when the key is not `adoptions/<modelId>/<version>.json`. */
export function parseAdoptionManifestKey(key: string): { modelId: string; version: string } | undefined {
  const match = /^adoptions\/([^/]+)\/([^/]+)\.json$/.exec(key);
  return match ? { modelId: match[1], version: match[2] } : undefined;
}

/**
 * Validate an adoption manifest (a parsed JSON value); throws InvalidInputError naming `source` and the path of every bad field.
 * @example
 * const manifest = parseAdoptionManifest(JSON.parse(text), 'adoptions/fraud/v2.json');
 */
export function parseAdoptionManifest(input: unknown, source: string): AdoptionManifest {
  const parsed = adoptionManifestSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(source, `invalid adoption manifest:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * Validate the text of a manifest stored at `key`: JSON, the schema, and a model id and version that match the key.
 * @example
 * const manifest = parseStoredAdoptionManifest('adoptions/fraud/v2.json', text);
 */
export function parseStoredAdoptionManifest(key: string, text: string): AdoptionManifest {
  const named = parseAdoptionManifestKey(key);
  if (named === undefined) {
    throw new InvalidInputError(key, `expected a manifest key of the form ${ADOPTIONS_PREFIX}<modelId>/<version>.json`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(key, `expected a JSON adoption manifest: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const manifest = parseAdoptionManifest(json, key);
  const mismatched: string[] = [];
  if (manifest.modelId !== named.modelId) mismatched.push(`modelId "${manifest.modelId}" does not match "${named.modelId}" in the key`);
  if (manifest.version !== named.version) mismatched.push(`version "${manifest.version}" does not match "${named.version}" in the key`);
  if (mismatched.length > 0) {
    throw new InvalidInputError(key, `${mismatched.join('; ')} (expected ${adoptionManifestKey(manifest.modelId, manifest.version)})`);
  }
  return manifest;
}

/**
 * Build and validate the manifest of a new model version, with the key to upload it to (the CLI's `adopt`).
 * @example
 * const { key, manifest } = buildAdoptionManifest({ modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'] });
 */
export function buildAdoptionManifest(input: {
  readonly modelId: string;
  readonly version: string;
  readonly trainingData: readonly string[];
  readonly proposalId?: string;
} & RetrainOutcomeFields): { key: string; manifest: AdoptionManifest } {
  const manifest = parseAdoptionManifest(
    {
      schemaVersion: 1,
      modelId: input.modelId,
      version: input.version,
      trainingData: [...input.trainingData],
      ...(input.proposalId !== undefined ? { proposalId: input.proposalId } : {}),
      ...outcomeFieldsOf(input),
    },
    `adoption manifest of ${input.modelId} ${input.version}`,
  );
  return { key: adoptionManifestKey(manifest.modelId, manifest.version), manifest };
}

/** The optional retrain-outcome fields of a manifest. */
export type RetrainOutcomeFields = Partial<Pick<AdoptionManifest, 'validationScore' | 'previousScore' | 'metric' | 'learningCurve' | 'status'>>;

/** The retrain-outcome fields `input` sets (and only those), e.g. to copy them into a new manifest. */
export function outcomeFieldsOf(input: RetrainOutcomeFields): RetrainOutcomeFields {
  const out: Record<string, unknown> = {};
  for (const name of ['validationScore', 'previousScore', 'metric', 'learningCurve', 'status'] as const) {
    if (input[name] !== undefined) out[name] = input[name];
  }
  return out as RetrainOutcomeFields;
}
