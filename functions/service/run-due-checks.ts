/**
 * The scheduled runs. `tendProposals` (the gate: the only scheduled code that holds the signing key and
 * the retrain topic) tends each model's active proposal: a notice not yet delivered, the veto window, the
 * expiry, a decision's settlement, a retrain publish whose claim lapsed. `runDueChecks` checks each model
 * that is due; on one machine it tends first (the same process has every port), in AWS the check
 * function has neither the key nor the topics and the gate function tends. Both finish a committed check
 * whose writes did not all land (`finishPendingCheck`) before anything else. Every step is a state-machine
 * transition, so overlapping runs do each thing once; one model's failure never stops the others.
 */
import { parseReportJson } from '../core/report/index.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { reportKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR, releaseMissing, transition } from '../core/lifecycle/proposal.js';
import type { CheckDueOutcome, ProposalActivity } from '../core/lifecycle/types.js';
import type { EventSink, Log } from '../core/ports.js';
import { settleProposal } from './autonomy.js';
import { type CheckModel, finishPendingCheck } from './check-model.js';
import type { ModelRepository } from './model-repository.js';
import type { SendIncidentNotice, SendNotice, SendOwnerNotices } from './notify.js';
import { type PublishAttempt, retrainPublisher } from './publish-retrain.js';
import type { RunDueReviews, SendReviewNotice } from './review.js';

/** What tending proposals needs: the notice sender and the retrain topic (veto mode, lapsed publishes). */
export interface TendDeps {
  readonly repo: ModelRepository;
  readonly sendNotice: SendNotice;
  /** Sends a data-quality incident's one notice. */
  readonly sendIncidentNotice: SendIncidentNotice;
  /** Sends the owner's notices the state queued (level changes, offers, suggestions). @default none */
  readonly sendOwnerNotices?: SendOwnerNotices;
  /** Sends the notice a review round owes (its request or a reminder; service/review.ts). @default none */
  readonly sendReviewNotice?: SendReviewNotice;
  readonly events: EventSink;
  readonly log?: Log;
}

/** Tends the active proposal of every model (or of the given ones) now. */
export type TendProposals = (now: Date, modelIds?: readonly string[]) => Promise<CheckDueOutcome>;

/** What the scheduled check needs: the check, and on one machine the tending too. */
export interface RunDueDeps {
  readonly repo: ModelRepository;
  readonly check: CheckModel;
  /** Tend proposals before checking (one machine). @default none: the gate function tends */
  readonly tend?: TendDeps;
  /** Opens and expires review rounds after the checks (service/review.ts). @default none */
  readonly reviews?: RunDueReviews;
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

/** One model's turn of a run: its failure is reported and logged, never thrown. */
async function perModel(
  modelIds: readonly string[],
  now: Date,
  log: Log | undefined,
  step: string,
  turn: (modelId: string) => Promise<{ proposals: readonly ProposalActivity[]; check?: CheckDueOutcome['models'][number]['check'] }>,
  record?: (modelId: string, err: unknown) => Promise<void>,
): Promise<CheckDueOutcome['models'][number][]> {
  const models: CheckDueOutcome['models'][number][] = [];
  for (const modelId of modelIds) {
    try {
      const done = await turn(modelId);
      models.push({ modelId, proposals: done.proposals, ...(done.check ? { check: done.check } : {}) });
    } catch (err) {
      log?.({ step, modelId, error: message(err), errorName: err instanceof Error ? err.name : 'unknown', at: now.toISOString() });
      models.push({ modelId, proposals: [], error: message(err) });
      if (record) await record(modelId, err);
    }
  }
  return models;
}

/**
 * Build the gate's run: tend the active proposal of every model (or only of `modelIds`).
 * @example
 * const tend = tendProposals({ repo, sendNotice, events });
 * await tend(new Date());
 */
export function tendProposals(deps: TendDeps): TendProposals {
  const { repo } = deps;
  const publisher = retrainPublisher(deps);

  async function tend(config: ModelConfig, now: Date): Promise<ProposalActivity[]> {
    const modelId = config.modelId;
    const at = now.toISOString();
    // A check that committed but died before its writes: its proposal and log lines are made first.
    let state = (await repo.state(modelId))?.value;
    if (state?.pendingCheck && (await finishPendingCheck(deps, modelId)) !== null) state = (await repo.state(modelId))?.value;
    const incidentActivity: ProposalActivity[] = [];
    if (state?.incident && state.incident.notice === null) {
      const sent = await deps.sendIncidentNotice(config, now);
      if (sent.status === 'sent') incidentActivity.push({ proposalId: state.incident.incidentId, action: 'incident-notice', noticeMessageId: sent.messageId });
      if (sent.status === 'failed') incidentActivity.push({ proposalId: state.incident.incidentId, action: 'incident-notice-failed', error: sent.error });
    }
    if (deps.sendOwnerNotices) incidentActivity.push(...(await deps.sendOwnerNotices(config, now)));
    if (deps.sendReviewNotice) await deps.sendReviewNotice(config, now);
    const id = state?.activeProposalId;
    if (!id) return incidentActivity;
    let p = await repo.proposal(modelId, id);
    if (p === undefined) {
      const released = await repo.updateState(modelId, (s) => (s.activeProposalId === id ? releaseMissing(s, now) : null));
      return released?.changed ? [...incidentActivity, { proposalId: id, action: 'released' }] : incidentActivity;
    }
    const done: ProposalActivity[] = [...incidentActivity];

    // Earned autonomy (`auto`): the retrain is requested first, the notice follows it.
    if (transition(p, { type: 'auto-approve', at }) !== null) {
      const moved = await repo.apply(modelId, id, { type: 'auto-approve', at });
      p = moved.value;
      if (moved.changed) {
        await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'auto-approve', proposalId: id, evidence: { level: 'auto', driftIndex: p.reasons.driftIndex, fingerprint: p.fingerprint } });
        const attempt = await publisher.publishClaimed(p, now);
        done.push({ proposalId: id, action: 'auto-approve', ...(attempt.status === 'published' ? { retrainMessageId: attempt.messageId } : {}) });
        p = (await repo.proposal(modelId, id)) ?? p;
      }
    }

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
    await settleProposal(repo, p, at);
    // An approval whose publish failed or whose publisher died: the lapsed claim is taken and published, once.
    done.push(...retrainActivity(id, await publisher.completePending(p, now)));
    return done;
  }

  return async (now, modelIds) => {
    const { configs, broken } = await repo.configs();
    const wanted = configs.filter((c) => modelIds === undefined || modelIds.includes(c.modelId));
    const byId = new Map(wanted.map((c) => [c.modelId, c] as const));
    const models = await perModel([...byId.keys()], now, deps.log, 'tend', async (modelId) => ({ proposals: await tend(byId.get(modelId) as ModelConfig, now) }));
    for (const b of broken) if (modelIds === undefined || modelIds.includes(b.modelId)) models.push({ modelId: b.error.source, proposals: [], error: b.error.message });
    return { at: now.toISOString(), models };
  };
}

/**
 * Build the scheduled check: every model that is due is checked (after tending, when `tend` is given).
 * @example
 * const run = runDueChecks({ repo, check });
 * const { models } = await run(new Date());
 */
export function runDueChecks(deps: RunDueDeps): RunDueChecks {
  const { repo } = deps;
  const tend = deps.tend ? tendProposals(deps.tend) : undefined;
  return async (now) => {
    const tended = tend ? await tend(now) : undefined;
    const { configs, broken } = await repo.configs();
    const models = await perModel(configs.map((c) => c.modelId), now, deps.log, 'checkDue', async (modelId) => {
      const prior = tended?.models.find((m) => m.modelId === modelId);
      if (prior?.error !== undefined) throw new Error(prior.error);
      const state = (await repo.state(modelId))?.value;
      const due = state !== undefined && Date.parse(state.nextCheckAt) <= now.getTime();
      // A check finishes an unfinished one itself; a model that is not due gets its unfinished check finished here.
      if (!due && state?.pendingCheck) await finishPendingCheck(deps, modelId);
      const check = due ? await deps.check(modelId, now) : undefined;
      return { proposals: prior?.proposals ?? [], ...(check ? { check } : {}) };
    }, async (modelId, err) => {
      // The failure is part of the model's record; the next run tries again from the same signatures.
      await repo
        .appendLog({ at: now.toISOString(), modelId, actor: AUTOMATIC_ACTOR, action: 'check-failed', evidence: { error: message(err), errorName: err instanceof Error ? err.name : 'unknown' } })
        .catch((logErr: unknown) => deps.log?.({ step: 'checkDue', modelId, error: `could not record the failure: ${message(logErr)}`, at: now.toISOString() }));
    });
    for (const b of broken) models.push({ modelId: b.error.source, proposals: [], error: b.error.message });
    // After the checks, so a round is stratified by the newest comparison; its failures are its own (logged).
    if (deps.reviews) await deps.reviews(now);
    return { at: now.toISOString(), models };
  };
}
