/**
 * Take a decision from a signed link. The link is verified, then the proposal moves once (the
 * `decide` transition, recording the link's use and, for an approval, the retrain claim in the same
 * conditional write). Of any number of concurrent requests exactly one wins that write; only the winner
 * publishes. A twin request of the same link finishes what is left (the state's settlement, a lapsed
 * publish) and answers `already-decided`; any other link of a decided proposal is spent on first use.
 */
import { NotFoundError } from '../core/errors.js';
import { type RejectionReason, autonomyView } from '../core/lifecycle/autonomy.js';
import { rulesOf } from '../core/lifecycle/proposal.js';
import { DecisionTokenError, REVIEW_ACTION, isOwnerAction, tokenUseId, verifyToken } from '../core/lifecycle/token.js';
import type { DecideOutcome, DecisionAction, Proposal, TokenDescription } from '../core/lifecycle/types.js';
import type { EventSink, Log } from '../core/ports.js';
import { type OwnerActions, ownerActions, settleProposal } from './autonomy.js';
import type { ModelRepository } from './model-repository.js';
import { type ReviewActions, reviewActions } from './review.js';
import { type PublishAttempt, retrainPublisher } from './publish-retrain.js';

/** Default snooze when the link does not say. */
export const DEFAULT_SNOOZE_SECONDS = 7 * 86_400;

/** What the decision path needs: the repository, the retrain topic and the key that verifies links. */
export interface DecideDeps {
  readonly repo: ModelRepository;
  readonly events: EventSink;
  readonly secret: Uint8Array | string;
  readonly log?: Log;
}

/** Options of one decision. */
export interface DecideOptions {
  /** Who decided, as the decision log records it. @default "decision-link" */
  readonly actor?: string;
  readonly reason?: string;
  /** Why a rejection was made (the decision page asks). @default "other" for a rejection */
  readonly reasonKind?: RejectionReason;
  readonly snoozeSeconds?: number;
  /** The request's address and user agent, kept in the decision log beside the decision. @default none */
  readonly client?: { readonly sourceIp: string; readonly userAgent: string };
}

/** The decision path: decide (POST) and describe (GET, changes nothing). */
export interface Decider {
  decide(token: string, action: DecisionAction, now: Date, opts?: DecideOptions): Promise<DecideOutcome>;
  describeToken(token: string, now: Date): Promise<TokenDescription>;
  /** The owner's links: accept an offered level or a suggested config change, lower the level. */
  readonly owner: OwnerActions;
  /** Review links: show a round's rows, take the verdicts (service/review.ts). */
  readonly review: ReviewActions;
}

function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

function approveOutcome(p: Proposal, attempt: PublishAttempt): DecideOutcome {
  const base = { status: 'decided', modelId: p.modelId, proposalId: p.proposalId, action: 'approve' } as const;
  if (attempt.status === 'published') return { ...base, eventId: attempt.eventId, retrainMessageId: attempt.messageId };
  if (attempt.status === 'failed') return { ...base, eventId: attempt.eventId, retrainPending: { error: attempt.error } };
  return base;
}

/**
 * Build the decision path.
 * @example
 * const { decide } = decider({ repo, events: new SnsEventSink(sns, arn), secret });
 * await decide(token, 'approve', new Date(), { actor: 'alice' });
 */
export function decider(deps: DecideDeps): Decider {
  const { repo } = deps;
  const publisher = retrainPublisher(deps);

  async function settle(p: Proposal, at: string): Promise<void> {
    await settleProposal(repo, p, at);
  }

  async function decide(token: string, action: DecisionAction, now: Date, opts: DecideOptions = {}): Promise<DecideOutcome> {
    const payload = verifyToken(token, deps.secret, now, action);
    const { modelId, proposalId } = payload;
    const actor = opts.actor ?? 'decision-link';
    const at = now.toISOString();
    const useId = tokenUseId(payload);
    if (await repo.tokenUsed(useId)) throw new DecisionTokenError('replayed', 'this link was already used');
    const snoozeUntil = action === 'snooze' ? addSeconds(now, opts.snoozeSeconds ?? DEFAULT_SNOOZE_SECONDS) : undefined;
    let moved;
    try {
      moved = await repo.apply(modelId, proposalId, {
        type: 'decide',
        action,
        at,
        actor,
        tokenId: useId,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(action === 'reject' ? { reasonKind: opts.reasonKind ?? 'other' } : {}),
        ...(snoozeUntil ? { snoozeUntil } : {}),
      });
    } catch (err) {
      // A correctly signed link names a proposal this deployment wrote; one that is not there is not ours.
      if (err instanceof NotFoundError) throw new DecisionTokenError('forged', `proposal ${proposalId} of model ${modelId} does not exist`);
      throw err;
    }
    const p = moved.value;
    const mine = p.decision?.tokenId === useId;
    if (!moved.changed && !mine) {
      // This link decided nothing, but it is still single use; a false from putIfAbsent (a conflict the
      // store gave up on) is only "replayed" if the marker really exists.
      const first = await repo.markTokenUsed(useId, { at, modelId, proposalId, action, actor, outcome: 'already-decided' });
      if (!first && (await repo.tokenUsed(useId))) throw new DecisionTokenError('replayed', 'this link was already used');
      return { status: 'already-decided', modelId, proposalId, proposalStatus: p.status };
    }
    if (moved.changed) {
      await repo.appendLog({
        at,
        modelId,
        actor,
        action,
        proposalId,
        evidence: {
          fingerprint: p.fingerprint,
          driftIndex: p.reasons.driftIndex,
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(action === 'reject' ? { reasonKind: p.decision?.reasonKind ?? 'other' } : {}),
          ...(snoozeUntil ? { snoozeUntil } : {}),
          ...(opts.client ? { client: opts.client } : {}),
        },
      });
    }
    // Idempotent: a twin of this request, or its retry after a failure, applies it again harmlessly.
    await settle(p, at);
    await repo.markTokenUsed(useId, { at, modelId, proposalId, action, actor });
    if (!moved.changed) {
      // A twin request of the link that decided: publish only if the winner's claim lapsed.
      const attempt = action === 'approve' ? await publisher.completePending(p, now) : { status: 'not-claimed' as const };
      if (attempt.status === 'not-claimed') return { status: 'already-decided', modelId, proposalId, proposalStatus: p.status };
      return approveOutcome(p, attempt);
    }
    if (action === 'approve') return approveOutcome(p, await publisher.publishClaimed(p, now));
    return { status: 'decided', modelId, proposalId, action, ...(snoozeUntil ? { snoozedUntil: p.decision?.snoozeUntil ?? snoozeUntil } : {}) };
  }

  async function describeToken(token: string, now: Date): Promise<TokenDescription> {
    const payload = verifyToken(token, deps.secret, now);
    const action = payload.action;
    if (isOwnerAction(action) || action === REVIEW_ACTION) throw new DecisionTokenError('wrong-action', 'this link is an owner or review link, not a decision');
    const useId = tokenUseId(payload);
    const proposal = await repo.proposal(payload.modelId, payload.proposalId);
    if (!proposal) throw new DecisionTokenError('forged', `proposal ${payload.proposalId} does not exist`);
    const consumed = proposal.decision?.tokenId === useId || (await repo.tokenUsed(useId));
    const state = (await repo.state(payload.modelId))?.value;
    const autonomy = state ? autonomyView(state.autonomy, rulesOf(proposal)) : undefined;
    return { modelId: payload.modelId, proposalId: payload.proposalId, action, expiresAt: new Date(payload.exp * 1000).toISOString(), consumed, proposal, ...(autonomy ? { autonomy } : {}) };
  }

  return { decide, describeToken, owner: ownerActions(deps), review: reviewActions(deps) };
}
