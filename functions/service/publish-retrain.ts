/**
 * Publish the RetrainRequested event of an approved proposal. Only the caller that holds the retrain
 * claim (won in the approving write, or re-taken by the scheduled run after a lapsed lease) publishes, so
 * one approval gives one event; its `eventId` is the same on any retry, for consumers to deduplicate.
 */
import { holdsRetrainClaim, retrainEventOf, transition } from '../core/lifecycle/proposal.js';
import type { Proposal } from '../core/lifecycle/types.js';
import type { EventSink, Log } from '../core/ports.js';
import type { ModelRepository } from './model-repository.js';

/** What publishing needs: the repository and the retrain topic (nothing that signs or notifies). */
export interface PublishDeps {
  readonly repo: ModelRepository;
  readonly events: EventSink;
  readonly log?: Log;
}

/** The fate of a publish: published, failed (the claim lapses, a later run retries), or held by another caller. */
export type PublishAttempt =
  | { readonly status: 'published'; readonly eventId: string; readonly messageId: string }
  | { readonly status: 'failed'; readonly eventId: string; readonly error: string }
  | { readonly status: 'not-claimed' };

/**
 * One EventSink over several (the retrain topic, then the lifecycle bus). Any failure fails the publish, so
 * the claim lapses and the whole publish is retried, with the same `eventId` on every sink (a sink that had
 * succeeded sees it twice: consumers deduplicate on it). The message id is the first sink's.
 * @example
 * const events = fanOutSinks(new SnsEventSink(sns, topicArn), new EventBridgeSink(eventBridge, 'default'));
 */
export function fanOutSinks(first: EventSink, ...rest: readonly EventSink[]): EventSink {
  return {
    async publish(event) {
      const published = await first.publish(event);
      for (const sink of rest) await sink.publish(event);
      return published;
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Build the publisher: `publishClaimed` for a proposal whose claim this caller just won, and `completePending`
 * for the scheduled run, which takes a lapsed claim and publishes.
 */
export function retrainPublisher(deps: PublishDeps): {
  publishClaimed(proposal: Proposal, now: Date): Promise<PublishAttempt>;
  completePending(proposal: Proposal, now: Date): Promise<PublishAttempt>;
} {
  const { repo } = deps;

  async function publishClaimed(proposal: Proposal, now: Date): Promise<PublishAttempt> {
    const at = now.toISOString();
    const claimedAt = proposal.retrainEvent?.claimedAt;
    if (claimedAt === null || claimedAt === undefined || !holdsRetrainClaim(proposal, claimedAt)) return { status: 'not-claimed' };
    const event = retrainEventOf(proposal, at);
    try {
      const { messageId } = await deps.events.publish(event);
      await repo.apply(proposal.modelId, proposal.proposalId, { type: 'retrain-published', at, messageId });
      await repo.appendLog({ at, modelId: proposal.modelId, actor: event.decidedBy, action: 'retrain', proposalId: proposal.proposalId, evidence: { messageId, eventId: event.eventId, reason: event.reason } });
      return { status: 'published', eventId: event.eventId, messageId };
    } catch (err) {
      deps.log?.({ step: 'retrain', modelId: proposal.modelId, proposalId: proposal.proposalId, eventId: event.eventId, error: message(err), at });
      await repo.apply(proposal.modelId, proposal.proposalId, { type: 'retrain-failed', at, error: message(err) }).catch(() => undefined);
      return { status: 'failed', eventId: event.eventId, error: message(err) };
    }
  }

  async function completePending(proposal: Proposal, now: Date): Promise<PublishAttempt> {
    const at = now.toISOString();
    if (transition(proposal, { type: 'claim-retrain', at }) === null) return { status: 'not-claimed' };
    const claimed = await repo.apply(proposal.modelId, proposal.proposalId, { type: 'claim-retrain', at });
    return claimed.changed ? publishClaimed(claimed.value, now) : { status: 'not-claimed' };
  }

  return { publishClaimed, completePending };
}
