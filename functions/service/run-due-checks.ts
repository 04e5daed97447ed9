/**
 * The scheduled run: for every model, tend its active proposal (a notice not yet delivered, the veto
 * window, the expiry, a decision's settlement, a retrain publish whose claim lapsed), then check the
 * model if it is due. Every step is a state-machine transition, so overlapping runs do each thing once;
 * one model's failure is reported and never stops the others.
 */
import { parseReportJson } from '../core/report/index.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { reportKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR, releaseMissing, settleState, transition } from '../core/lifecycle/proposal.js';
import type { CheckDueOutcome, ProposalActivity } from '../core/lifecycle/types.js';
import type { EventSink, Log } from '../core/ports.js';
import type { CheckModel } from './check-model.js';
import type { ModelRepository } from './model-repository.js';
import type { SendNotice } from './notify.js';
import { type PublishAttempt, retrainPublisher } from './publish-retrain.js';

/** What the scheduled run needs: the check, the notice sender and the retrain topic (veto mode, lapsed publishes). */
export interface RunDueDeps {
  readonly repo: ModelRepository;
  readonly check: CheckModel;
  readonly sendNotice: SendNotice;
  readonly events: EventSink;
  readonly log?: Log;
}

/** Runs every due check now. */
export type RunDueChecks = (now: Date) => Promise<CheckDueOutcome>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function retrainActivity(proposalId: string, attempt: PublishAttempt): ProposalActivity[] {
  if (attempt.status === 'published') return [{ proposalId, action: 'retrain', retrainMessageId: attempt.messageId }];
  if (attempt.status === 'failed') return [{ proposalId, action: 'retrain-failed', error: attempt.error }];
  return [];
}

/**
 * Build the scheduled run.
 * @example
 * const run = runDueChecks({ repo, check, sendNotice, events });
 * const { models } = await run(new Date());
 */
export function runDueChecks(deps: RunDueDeps): RunDueChecks {
  const { repo } = deps;
  const publisher = retrainPublisher(deps);

  async function tend(config: ModelConfig, now: Date): Promise<ProposalActivity[]> {
    const modelId = config.modelId;
    const at = now.toISOString();
    const id = (await repo.state(modelId))?.value.activeProposalId;
    if (!id) return [];
    let p = await repo.proposal(modelId, id);
    if (p === undefined) {
      const released = await repo.updateState(modelId, (s) => (s.activeProposalId === id ? releaseMissing(s, now) : null));
      return released?.changed ? [{ proposalId: id, action: 'released' }] : [];
    }
    const done: ProposalActivity[] = [];

    if (transition(p, { type: 'claim-notice', at }) !== null) {
      const key = reportKey(modelId, p.checkId, 'json');
      const report = await repo.store.get(key);
      if (report) {
        const sent = await deps.sendNotice(config, p, parseReportJson(Buffer.from(report.body).toString('utf8'), key).result, now);
        if (sent.status === 'sent') done.push({ proposalId: id, action: 'notice', noticeMessageId: sent.messageId });
        if (sent.status === 'failed') done.push({ proposalId: id, action: 'notice-failed', error: sent.error });
        p = (await repo.proposal(modelId, id)) ?? p;
      }
    }

    if (transition(p, { type: 'veto-window-elapsed', at }) !== null) {
      const moved = await repo.apply(modelId, id, { type: 'veto-window-elapsed', at });
      p = moved.value;
      if (moved.changed) {
        await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'veto-window-elapsed', proposalId: id, evidence: { noticeMessageId: p.notice?.messageId, noticeSentAt: p.notice?.sentAt } });
        const attempt = await publisher.publishClaimed(p, now);
        done.push({ proposalId: id, action: 'veto-window-elapsed', ...(attempt.status === 'published' ? { retrainMessageId: attempt.messageId } : {}) });
        p = (await repo.proposal(modelId, id)) ?? p;
      }
    }

    if (transition(p, { type: 'expire', at }) !== null) {
      const moved = await repo.apply(modelId, id, { type: 'expire', at });
      p = moved.value;
      if (moved.changed) {
        await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'expire', proposalId: id, evidence: { expiresAt: p.expiresAt, noticeDelivered: p.notice !== null } });
        done.push({ proposalId: id, action: 'expire' });
      }
    }

    // A decision whose request died before settling the state (and every expiry) is settled here.
    const settled = p;
    await repo.updateState(modelId, (s) => settleState(s, settled));
    // An approval whose publish failed or whose publisher died: the lapsed claim is taken and published, once.
    done.push(...retrainActivity(id, await publisher.completePending(p, now)));
    return done;
  }

  return async (now) => {
    const { configs, broken } = await repo.configs();
    const models: CheckDueOutcome['models'][number][] = [];
    for (const config of configs) {
      const modelId = config.modelId;
      let proposals: ProposalActivity[] = [];
      try {
        proposals = await tend(config, now);
        const state = (await repo.state(modelId))?.value;
        const due = state !== undefined && Date.parse(state.nextCheckAt) <= now.getTime();
        const check = due ? await deps.check(modelId, now) : undefined;
        models.push({ modelId, proposals, ...(check ? { check } : {}) });
      } catch (err) {
        // One model's failure is reported and logged; the others keep working.
        deps.log?.({ step: 'checkDue', modelId, error: message(err), errorName: err instanceof Error ? err.name : 'unknown', at: now.toISOString() });
        models.push({ modelId, proposals, error: message(err) });
      }
    }
    for (const b of broken) models.push({ modelId: b.error.source, proposals: [], error: b.error.message });
    return { at: now.toISOString(), models };
  };
}
