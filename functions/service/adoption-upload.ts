/**
 * Upload an adoption manifest (the CLI's `adopt`, or a retraining system's script): validate it, check
 * that the model is configured and every training file exists, then write it once to
 * `adoptions/<modelId>/<version>.json`, where the upload itself triggers the deployed adopt function.
 */
import { InvalidInputError } from '../core/errors.js';
import { type AdoptionManifest, type RetrainOutcomeFields, buildAdoptionManifest, outcomeFieldsOf } from '../core/lifecycle/adoption.js';
import { configKey } from '../core/lifecycle/keys.js';
import type { ObjectStore } from '../core/ports.js';

/** What uploadAdoptionManifest did. */
export interface UploadedAdoptionManifest {
  /**
   * `uploaded` (new), `unchanged` (the same manifest was already there; nothing written), `reuploaded`
   * (forced), or `outcome-updated` (the same training data with a new retrain outcome, e.g. `rolled-back`).
   */
  readonly status: 'uploaded' | 'unchanged' | 'reuploaded' | 'outcome-updated';
  readonly key: string;
  readonly manifest: AdoptionManifest;
}

/** Options of uploadAdoptionManifest. */
export interface UploadAdoptionOptions {
  /**
   * Write the manifest again when the same one exists: the adopt function then re-installs this version
   * (a rollback when another version has been adopted since).
   * @default false
   */
  readonly force?: boolean;
  /** Names the store in messages, e.g. `s3://bucket`. */
  readonly storeName?: string;
}

/**
 * Validate and upload the adoption manifest of a new model version; throws InvalidInputError naming what is wrong.
 * @example
 * await uploadAdoptionManifest(new S3Store(s3, 'data'), { modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet'] });
 */
export async function uploadAdoptionManifest(
  store: ObjectStore,
  input: { readonly modelId: string; readonly version: string; readonly trainingData: readonly string[]; readonly proposalId?: string } & RetrainOutcomeFields,
  options: UploadAdoptionOptions = {},
): Promise<UploadedAdoptionManifest> {
  const where = options.storeName ?? 'the store';
  const { key, manifest } = buildAdoptionManifest(input);
  if ((await store.get(configKey(manifest.modelId))) === undefined) {
    throw new InvalidInputError(configKey(manifest.modelId), `no configuration for model ${manifest.modelId} in ${where}: upload it first (driftgate upload-config)`);
  }
  // One listing per folder (not a request per file): a version is often thousands of part files.
  const stored = new Set<string>();
  const folders = new Set(manifest.trainingData.map((k) => k.slice(0, k.lastIndexOf('/') + 1)));
  for (const folder of folders) for (const k of await store.list(folder)) stored.add(k);
  const missing = manifest.trainingData.filter((k) => !stored.has(k));
  if (missing.length > 0) {
    throw new InvalidInputError(missing[0], `training data not found in ${where}: ${missing.join(', ')}`);
  }
  const body = `${JSON.stringify(manifest, null, 2)}\n`;
  if (await store.putIfAbsent(key, body)) return { status: 'uploaded', key, manifest };

  const existing = await store.get(key);
  const same = existing !== undefined && sameManifest(Buffer.from(existing.body).toString('utf8'), manifest);
  if (!same) {
    throw new InvalidInputError(key, `a different manifest for ${manifest.modelId} ${manifest.version} already exists: a version's training data cannot change, use a new version`);
  }
  // A new outcome for the same training data (scores reported later, a rollback) is written: the adopt
  // function records it without reinstalling anything.
  if (existing !== undefined && !sameOutcome(Buffer.from(existing.body).toString('utf8'), manifest)) {
    await store.put(key, body, 'application/json');
    return { status: 'outcome-updated', key, manifest };
  }
  if (!options.force) return { status: 'unchanged', key, manifest };
  await store.put(key, body, 'application/json');
  return { status: 'reuploaded', key, manifest };
}

function sameManifest(text: string, manifest: AdoptionManifest): boolean {
  try {
    const stored = JSON.parse(text) as Partial<AdoptionManifest>;
    return (
      stored.modelId === manifest.modelId &&
      stored.version === manifest.version &&
      stored.proposalId === manifest.proposalId &&
      JSON.stringify(stored.trainingData) === JSON.stringify(manifest.trainingData)
    );
  } catch {
    return false;
  }
}

function sameOutcome(text: string, manifest: AdoptionManifest): boolean {
  try {
    return JSON.stringify(outcomeFieldsOf(JSON.parse(text) as AdoptionManifest)) === JSON.stringify(outcomeFieldsOf(manifest));
  } catch {
    return false;
  }
}
