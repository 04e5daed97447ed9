/**
 * The retrain hints of a new proposal (core/learning/retrain-hint.ts) over the repository: the
 * recommended rows from the model's outcome history, and the training window with each batch's row
 * count read from its stored signature (the current check's signatures are passed in, already loaded).
 */
import type { OutcomeHistory } from '../core/learning/outcomes.js';
import { type RetrainHint, type WindowCheck, planTrainingWindow, recommendTrainingRows, trainingWindow } from '../core/learning/retrain-hint.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import type { DatasetSignature } from '../core/signature/types.js';
import type { ModelRepository } from './model-repository.js';

/**
 * Compute both hints for a proposal opened by the check whose history and consumed list are given.
 * @example
 * const hint = await retrainHints(repo, config, { history, consumed, loaded, outcomes });
 */
export async function retrainHints(
  repo: Pick<ModelRepository, 'signature'>,
  config: Pick<ModelConfig, 'learning' | 'batchPrefix'>,
  input: {
    readonly history: readonly WindowCheck[];
    readonly consumed: readonly string[];
    /** Signatures already loaded by the check, by key. */
    readonly loaded: ReadonlyMap<string, DatasetSignature>;
    readonly outcomes: OutcomeHistory | undefined;
  },
): Promise<RetrainHint> {
  const recommendedTrainingRows = recommendTrainingRows(input.outcomes, config.learning);
  const plan = planTrainingWindow(input.history, input.consumed);
  const rowsOf = new Map<string, { key: string; rows: number }>();
  for (const k of [...plan.windowKeys, ...plan.beforeKeys]) {
    const signature = input.loaded.get(k) ?? (await repo.signature(k, 'batch signature'));
    rowsOf.set(k, { key: batchKeyOf(signature.sources[0] ?? k, config.batchPrefix), rows: signature.rowCount });
  }
  const rows = recommendedTrainingRows.status === 'recommended' ? recommendedTrainingRows.rows : undefined;
  return { recommendedTrainingRows, trainingWindow: trainingWindow(plan, rowsOf, rows) };
}

/**
 * The store key of a batch from the source name its signature recorded: `s3://<bucket>/<key>` (S3Store)
 * or `<root>/<key>` (LocalStore), the key starting with the model's batchPrefix. A name that matches
 * neither is returned as it is. (A signature records names, not keys; see the report's caveat.)
 */
export function batchKeyOf(name: string, batchPrefix: string): string {
  const s3 = /^s3:\/\/[^/]+\/(.+)$/.exec(name);
  if (s3) return s3[1];
  const at = name.replaceAll('\\', '/').indexOf(`/${batchPrefix}`);
  return at >= 0 ? name.replaceAll('\\', '/').slice(at + 1) : name;
}
