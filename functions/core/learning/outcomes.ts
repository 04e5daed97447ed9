/**
 * Retrain outcomes: what each retrain of a model gained, kept per model in one small document
 * (`state/<modelId>.outcomes.json`, see keys.ts) so the report can show it and later rules can learn
 * from it. Pure: the caller reads and writes the document through the repository's update loop.
 *
 * An entry joins three things: what drifted (the proposal's evidence), what was decided (the proposal's
 * decision) and what the retrain gained (the manifest's scores, signed so that a positive gain is always
 * an improvement whatever the metric's direction).
 */
import { z } from 'zod';
import type { AdoptionManifest } from '../lifecycle/adoption.js';

/** Entries kept per model, newest last (older ones are dropped). */
export const OUTCOME_HISTORY_LIMIT = 50;

/** What became of a retrain (the manifest's `status`, `adopted` when it gives none). */
export const RETRAIN_STATUSES = ['adopted', 'failed', 'rolled-back'] as const;
export type RetrainStatus = (typeof RETRAIN_STATUSES)[number];

const metricSchema = z.object({ name: z.string(), direction: z.enum(['higher-is-better', 'lower-is-better']) });

/** One retrain of a model, as recorded when its manifest arrived. */
export const retrainOutcomeSchema = z.object({
  /** The model version the manifest named. */
  version: z.string(),
  /** When driftgate recorded it (the manifest's processing time). */
  at: z.string(),
  status: z.enum(RETRAIN_STATUSES),
  /** The proposal the retrain answered, when known. */
  proposalId: z.string().nullable(),
  /** What drifted: the proposal's drifted feature names, and its drift index. */
  drifted: z.array(z.string()),
  driftIndex: z.number().nullable(),
  /** What was decided: the proposal's decision (approve, veto-window-elapsed) and by whom. */
  decision: z.object({ action: z.string(), actor: z.string() }).nullable(),
  metric: metricSchema.nullable(),
  validationScore: z.number().nullable(),
  previousScore: z.number().nullable(),
  /** validationScore − previousScore, negated for a lower-is-better metric: > 0 is an improvement. */
  gain: z.number().nullable(),
  learningCurve: z.array(z.object({ rows: z.number(), score: z.number() })),
});
export type RetrainOutcome = z.infer<typeof retrainOutcomeSchema>;

/** The stored outcome history of one model. */
export const outcomeHistorySchema = z.object({
  schemaVersion: z.literal(1),
  revision: z.string().optional(),
  modelId: z.string(),
  /** Oldest first, at most OUTCOME_HISTORY_LIMIT. */
  outcomes: z.array(retrainOutcomeSchema),
});
export type OutcomeHistory = z.infer<typeof outcomeHistorySchema>;

/** What the proposal a retrain answered contributes to its outcome (a subset of the stored Proposal). */
export interface OutcomeProposal {
  readonly proposalId: string;
  readonly reasons: { readonly driftIndex: number; readonly driftedFeatures: readonly { readonly name: string }[] };
  readonly decision: { readonly action: string; readonly actor: string } | null;
}

/**
 * The one "this retrain is a lesson" rule: a retrain that failed or was rolled back. Other rules (the
 * autonomy rules that demote a model to manual approval) use it, never their own status list.
 * @example
 * history.outcomes.some(isRetrainLesson); // true when any recorded retrain failed or was rolled back
 */
export function isRetrainLesson(outcome: Pick<RetrainOutcome, 'status'>): boolean {
  return outcome.status === 'failed' || outcome.status === 'rolled-back';
}

/** The gain of a retrain (> 0 is better), or null when either score or the metric is missing. */
export function retrainGain(manifest: Pick<AdoptionManifest, 'validationScore' | 'previousScore' | 'metric'>): number | null {
  const { validationScore: now, previousScore: before, metric } = manifest;
  if (now === undefined || before === undefined || metric === undefined) return null;
  return metric.direction === 'higher-is-better' ? now - before : before - now;
}

/**
 * The outcome of one retrain from its manifest and the proposal it answered (if any).
 * @example
 * const outcome = outcomeOf(manifest, proposal, now.toISOString());
 */
export function outcomeOf(manifest: AdoptionManifest, proposal: OutcomeProposal | undefined, at: string): RetrainOutcome {
  return {
    version: manifest.version,
    at,
    status: manifest.status ?? 'adopted',
    proposalId: proposal?.proposalId ?? manifest.proposalId ?? null,
    drifted: proposal ? proposal.reasons.driftedFeatures.map((f) => f.name) : [],
    driftIndex: proposal ? proposal.reasons.driftIndex : null,
    decision: proposal?.decision ? { action: proposal.decision.action, actor: proposal.decision.actor } : null,
    metric: manifest.metric ?? null,
    validationScore: manifest.validationScore ?? null,
    previousScore: manifest.previousScore ?? null,
    gain: retrainGain(manifest),
    learningCurve: [...(manifest.learningCurve ?? [])].sort((a, b) => a.rows - b.rows),
  };
}

/**
 * The history with `outcome` recorded: a later report on the same version with the same status replaces
 * the earlier one (a re-delivered manifest records once), a new status is a new entry; at most
 * OUTCOME_HISTORY_LIMIT kept. Null when the history already holds exactly this outcome.
 */
export function withOutcome(history: OutcomeHistory | undefined, modelId: string, outcome: RetrainOutcome): OutcomeHistory | null {
  const outcomes = history?.outcomes ?? [];
  const same = (o: RetrainOutcome): boolean => o.version === outcome.version && o.status === outcome.status;
  const existing = outcomes.find(same);
  if (existing !== undefined && JSON.stringify({ ...existing, at: '' }) === JSON.stringify({ ...outcome, at: '' })) return null;
  const next = [...outcomes.filter((o) => !same(o)), outcome].slice(-OUTCOME_HISTORY_LIMIT);
  return { schemaVersion: 1, modelId, outcomes: next };
}

/** The newest recorded learning curve (from any retrain, adopted or not), or undefined. */
export function latestLearningCurve(history: OutcomeHistory | undefined): { readonly version: string; readonly points: readonly { rows: number; score: number }[] } | undefined {
  const outcomes = history?.outcomes ?? [];
  for (let i = outcomes.length - 1; i >= 0; i--) {
    if (outcomes[i].learningCurve.length > 0) return { version: outcomes[i].version, points: outcomes[i].learningCurve };
  }
  return undefined;
}
