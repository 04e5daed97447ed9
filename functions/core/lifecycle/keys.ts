/**
 * Key layout of the store (the same in S3 and in a local folder):
 *
 * - `config/<modelId>.json`                  model configuration (ModelConfig)
 * - `config/<modelId>/versions/<n>.json`     earlier and accepted versions of it (an accepted suggestion)
 * - `batches/<modelId>/...`                  uploads (the model's configured `batchPrefix`, always under batches/)
 * - `signatures/<modelId>/<batchId>.json`    one signature per upload; batchId = sha256(source key + etag),
 *                                            so a re-delivered upload maps to the same key (stored once)
 * - `signatures/<modelId>.rollups/<version>/<period>.json`
 *                                            roll-ups: the merge of the batches ingested in one hour
 *                                            (`2026-03-02T10`) or one day (`2026-03-02`) against reference
 *                                            `version`, with the batch ids they hold (a modelId has no ".",
 *                                            so this never meets a model's signature prefix)
 * - `references/<modelId>/<version>.json`    reference signatures; the current version is in the state
 * - `state/<modelId>.json`                   the model's state (ModelState), updated only with putIfMatch
 * - `state/<modelId>.outcomes.json`          the model's retrain outcomes (core/learning/outcomes.ts); a model id has no "."
 * - `state/<modelId>.review.json`            the model's review round (core/lifecycle/review.ts): rows, notices, verdicts
 * - `signatures/<modelId>.samples/<day>.json` review sample of the batches ingested that UTC day (core/signature/sample.ts)
 * - `reports/<modelId>/<checkId>.json|.html` one report per check
 * - `proposals/<modelId>/<proposalId>.json`  retrain proposals (Proposal), created with putIfAbsent
 * - `tokens/<tokenUseId>`                    consumed decision tokens (written after the proposal's transition)
 * - `decisions/<modelId>.jsonl`              the decision log, one JSON object a line
 *
 * Pure functions: hashes are computed by the caller and passed in. The top-level prefixes are in
 * `core/constants.ts` (KEY_PREFIX), which the CDK app's IAM grants read too.
 */
import { KEY_PREFIX as P } from '../constants.js';

/** Key of a model's configuration. */
export function configKey(modelId: string): string {
  return `${P.config}${modelId}.json`;
}

/** The prefix listing every model configuration. */
export const CONFIG_PREFIX = P.config;

/** Model id of a config key, or undefined when the key is not one. */
export function modelIdOfConfigKey(key: string): string | undefined {
  if (!key.startsWith(P.config)) return undefined;
  const match = /^([^/]+)\.json$/.exec(key.slice(P.config.length));
  return match ? match[1] : undefined;
}

/** Key of a batch's signature (batchId = sha256 of source key + etag, hex). */
export function signatureKey(modelId: string, batchId: string): string {
  return `${P.signatures}${modelId}/${batchId}.json`;
}

/** Prefix of a model's batch signatures. */
export function signaturePrefix(modelId: string): string {
  return `${P.signatures}${modelId}/`;
}

/** The roll-up periods, largest first: a check uses a day's roll-up where it can, else its hours. */
export const ROLLUP_PERIODS = ['day', 'hour'] as const;
export type RollupPeriod = (typeof ROLLUP_PERIODS)[number];

/** The period a time falls in: `2026-03-02` (day) or `2026-03-02T10` (hour), UTC; sortable. */
export function rollupPeriodOf(at: Date, period: RollupPeriod): string {
  const iso = at.toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 13);
}

/** Prefix of a model's roll-ups against one reference version. */
export function rollupPrefix(modelId: string, referenceVersion: string): string {
  return `${P.signatures}${modelId}.rollups/${encodeURIComponent(referenceVersion)}/`;
}

/** Key of one period's roll-up (`period` from rollupPeriodOf). */
export function rollupKey(modelId: string, referenceVersion: string, period: string): string {
  return `${rollupPrefix(modelId, referenceVersion)}${period}.json`;
}

/** The batch id of a signature key (its file name without `.json`), or undefined when the key is not a model's signature. */
export function batchIdOfSignatureKey(modelId: string, key: string): string | undefined {
  const prefix = signaturePrefix(modelId);
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const id = key.slice(prefix.length, -'.json'.length);
  return id.includes('/') || id === '' ? undefined : id;
}

/** Key of a reference signature version. */
export function referenceKey(modelId: string, version: string): string {
  return `${P.references}${modelId}/${encodeURIComponent(version)}.json`;
}

/** Key of a model's state document. */
export function stateKey(modelId: string): string {
  return `${P.state}${modelId}.json`;
}

/** Key of a model's retrain outcome history (beside its state: the adopt function writes it, the check reads it). */
export function outcomesKey(modelId: string): string {
  return `${P.state}${modelId}.outcomes.json`;
}

/** Key of one check's report (`json` or `html`). */
export function reportKey(modelId: string, checkId: string, ext: 'json' | 'html'): string {
  return `${P.reports}${modelId}/${checkId}.${ext}`;
}

/** Key of a retrain proposal. */
export function proposalKey(modelId: string, proposalId: string): string {
  return `${P.proposals}${modelId}/${proposalId}.json`;
}

/** Prefix of a model's proposals. */
export function proposalPrefix(modelId: string): string {
  return `${P.proposals}${modelId}/`;
}

/** Key marking a decision token as consumed (`tokenUseId`: sha256 of model, proposal, action and nonce, hex). */
export function tokenKey(tokenHash: string): string {
  return `${P.tokens}${tokenHash}`;
}

/** Key of a model's decision log (JSON lines). */
export function decisionLogKey(modelId: string): string {
  return `${P.decisions}${modelId}.jsonl`;
}

/** A time as `20260101T120000Z`: sortable and key-safe, the leading part of check and proposal ids. */
export function compactTime(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Key of one version of a model's config, kept readable when driftgate writes a new one
 * (`config/<modelId>/versions/<000001>.json`; not a model config: `modelIdOfConfigKey` skips it).
 */
export function configVersionKey(modelId: string, version: number): string {
  return `${P.config}${modelId}/versions/${String(version).padStart(6, '0')}.json`;
}

/** Key of a model's review round document (beside its state: the check, the gate and the decision path share it). */
export function reviewKey(modelId: string): string {
  return `${P.state}${modelId}.review.json`;
}

/** Key of the review sample of the batches a model ingested on one UTC day (`day` = `2026-03-02`). */
export function sampleKey(modelId: string, day: string): string {
  return `${P.signatures}${modelId}.samples/${day}.json`;
}
