/**
 * The retrain hints of a new proposal (core/learning/retrain-hint.ts) over the repository: the
 * recommended rows from the model's outcome history, and the training window with each batch's row
 * count and source. Those come from the day roll-ups' member index (`ModelRepository.rolledUpBatches`:
 * one read per day, however many batches), and only a batch no roll-up indexes (ingested before the index
 * existed, or whose roll-up failed) is read from its own signature (or taken from `loaded`).
 */
import type { OutcomeHistory } from '../core/learning/outcomes.js';
import { type RetrainHint, type WindowCheck, planTrainingWindow, recommendTrainingRows, trainingWindow } from '../core/learning/retrain-hint.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { batchIdOfSignatureKey } from '../core/lifecycle/keys.js';
import type { DatasetSignature } from '../core/signature/types.js';
import type { ModelRepository } from './model-repository.js';

/**
 * Compute both hints for a proposal opened by the check whose history and consumed list are given.
 * @example
 * const hint = await retrainHints(repo, config, { history, consumed, loaded, outcomes });
 */
export async function retrainHints(
  repo: Pick<ModelRepository, 'signature' | 'rolledUpBatches'>,
  config: Pick<ModelConfig, 'learning' | 'batchPrefix'>,
  input: {
    readonly history: readonly WindowCheck[];
    readonly consumed: readonly string[];
    /** Signatures already loaded by the check, by key. */
    readonly loaded: ReadonlyMap<string, DatasetSignature>;
    readonly outcomes: OutcomeHistory | undefined;
    /** Where the roll-ups are: the model, its reference version, and the reference's time (no roll-up before it). @default none: every signature is read */
    readonly rollups?: { readonly modelId: string; readonly referenceVersion: string; readonly since?: Date };
  },
): Promise<RetrainHint> {
  const recommendedTrainingRows = recommendTrainingRows(input.outcomes, config.learning);
  const plan = planTrainingWindow(input.history, input.consumed);
  const needed = [...plan.windowKeys, ...plan.beforeKeys];
  const r = input.rollups;
  const indexed = r !== undefined && needed.length > 0 ? (await repo.rolledUpBatches(r.modelId, r.referenceVersion, r.since)).batches : new Map<string, never>();
  const rowsOf = new Map<string, { key: string; rows: number }>();
  for (const k of needed) {
    const entry = r === undefined ? undefined : indexed.get(batchIdOfSignatureKey(r.modelId, k) ?? '');
    if (entry !== undefined) {
      rowsOf.set(k, { key: batchKeyOf(entry.source === '' ? k : entry.source, config.batchPrefix), rows: entry.rows });
      continue;
    }
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
