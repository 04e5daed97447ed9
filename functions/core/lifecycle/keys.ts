/**
 * Key layout of the store (the same in S3 and in a local folder):
 *
 * - `config/<modelId>.json`                  model configuration (ModelConfig)
 * - `config/<modelId>/versions/<n>.json`     earlier and accepted versions of it (an accepted suggestion)
 * - `batches/<modelId>/...`                  uploads (the model's configured `batchPrefix`, always under batches/)
 * - `signatures/<modelId>/<batchId>.json`    one signature per upload; batchId = sha256(source key + etag),
 *                                            so a re-delivered upload maps to the same key (stored once)
 * - `references/<modelId>/<version>.json`    reference signatures; the current version is in the state
 * - `state/<modelId>.json`                   the model's state (ModelState), updated only with putIfMatch
 * - `state/<modelId>.outcomes.json`          the model's retrain outcomes (core/learning/outcomes.ts); a model id has no "."
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
