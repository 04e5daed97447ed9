/**
 * Notify: send the one notice of a proposal. The sender first wins the proposal's notice claim (a
 * conditional write), so overlapping runs send it once; the delivery's message id is then recorded as the
 * proof veto mode needs. A failed send keeps no proof, and the claim lapses for the next run to retry.
 */
import { randomBytes } from 'node:crypto';
import type { DriftResult } from '../core/drift/types.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { claimIncidentNotice } from '../core/lifecycle/incident.js';
import { reportKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR, CLAIM_LEASE_SECONDS } from '../core/lifecycle/proposal.js';
import { type OwnerAction, REVIEW_ACTION, signToken } from '../core/lifecycle/token.js';
import { HUMAN_REVIEW_TRIGGER } from '../core/lifecycle/review.js';
import { OFFER_TTL_SECONDS, autonomyView, claimOwnerNotice, ownerNoticeSent, rulesFromApproval } from '../core/lifecycle/autonomy.js';
import { rulesOf } from '../core/lifecycle/proposal.js';
import type { DecisionAction, Proposal } from '../core/lifecycle/types.js';
import type { Log, Notifier } from '../core/ports.js';
import { renderIncidentNotice } from '../core/report/incident-notice.js';
import { renderNotice } from '../core/report/index.js';
import { renderOwnerNotice } from '../core/report/notice.js';
import type { ProposalActivity } from '../core/lifecycle/types.js';
import type { ModelRepository } from './model-repository.js';

/** Signs the decision links of a notice (the only holder of the HMAC key besides the decision path). */
export interface LinkSigner {
  /** The URL of one signed, single-use link: `${baseUrl}/decide?token=...`. */
  decisionLink(proposal: Proposal, action: DecisionAction): string;
  /** A URL for the proposal's report, when the deployment can serve one. */
  reportLink?(key: string): Promise<string>;
  /** The URL of one signed owner link (accept an offer or a suggestion, lower the level), valid until `expiresAt`. */
  ownerLink?(modelId: string, subjectId: string, action: OwnerAction, expiresAt: string): string;
  /** The URL of one review round's signed link (service/review.ts), valid until `expiresAt`. */
  reviewLink?(modelId: string, reviewId: string, expiresAt: string): string;
}

/**
 * Links signed with the HMAC key, valid until the proposal expires.
 * @example
 * const links = hmacLinks({ secret, baseUrl: 'https://abc.lambda-url.eu-west-1.on.aws' });
 */
export function hmacLinks(opts: { secret: Uint8Array | string; baseUrl: string; reportLink?: (key: string) => Promise<string> }): LinkSigner {
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    decisionLink: (proposal, action) => {
      const exp = Math.floor(Date.parse(proposal.expiresAt) / 1000);
      const token = signToken({ proposalId: proposal.proposalId, modelId: proposal.modelId, action, exp, nonce: randomBytes(12).toString('base64url') }, opts.secret);
      return `${base}/decide?token=${token}`;
    },
    ownerLink: (modelId, subjectId, action, expiresAt) => {
      const exp = Math.floor(Date.parse(expiresAt) / 1000);
      const token = signToken({ proposalId: subjectId, modelId, action, exp, nonce: randomBytes(12).toString('base64url') }, opts.secret);
      return `${base}/decide?token=${token}`;
    },
    reviewLink: (modelId, reviewId, expiresAt) => {
      const exp = Math.floor(Date.parse(expiresAt) / 1000);
      const token = signToken({ proposalId: reviewId, modelId, action: REVIEW_ACTION, exp, nonce: randomBytes(12).toString('base64url') }, opts.secret);
      return `${base}/decide?token=${token}`;
    },
    ...(opts.reportLink ? { reportLink: opts.reportLink } : {}),
  };
}

/** A `human-review` proposal's notice opens with what the reviewers said (core/lifecycle/review.ts). */
function humanReviewLead(p: Proposal): { lead: { sentence: string; verdict: string } } | undefined {
  const trigger = p.reasons.triggers[0];
  if (trigger === undefined || !trigger.startsWith(`${HUMAN_REVIEW_TRIGGER}: `)) return undefined;
  return { lead: { sentence: `Retrain asked for by people: ${trigger.slice(HUMAN_REVIEW_TRIGGER.length + 2)}.`, verdict: 'reviewers: rows look wrong' } };
}

/** What sending a notice needs. */
export interface NotifyDeps {
  readonly repo: ModelRepository;
  readonly notifier: Notifier;
  readonly links: LinkSigner;
  readonly log?: Log;
}

/** The fate of one notice attempt: sent (with its message id), failed (with why), or not this caller's to send. */
export type NoticeAttempt = { readonly status: 'sent'; readonly messageId: string } | { readonly status: 'failed'; readonly error: string } | { readonly status: 'not-claimed' };

/** Sends a proposal's notice at most once; see the module comment. */
export type SendNotice = (config: ModelConfig, proposal: Proposal, result: DriftResult, now: Date) => Promise<NoticeAttempt>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Build the notice sender.
 * @example
 * const send = notifier({ repo, notifier: new SnsNotifier(sns, arn), links });
 * await send(config, proposal, result, now);
 */
export function noticeSender(deps: NotifyDeps): SendNotice {
  const { repo } = deps;
  return async (config, proposal, result, now) => {
    const at = now.toISOString();
    const { modelId, proposalId } = proposal;
    const claimed = await repo.apply(modelId, proposalId, { type: 'claim-notice', at });
    if (!claimed.changed) return { status: 'not-claimed' };
    try {
      const report = config.notice.includeReportLink && deps.links.reportLink ? await deps.links.reportLink(proposal.reportKey) : undefined;
      const vetoAt = proposal.mode === 'veto' ? new Date(now.getTime() + proposal.vetoWindowSeconds * 1000).toISOString() : undefined;
      const state = (await repo.state(modelId))?.value;
      const view = state ? autonomyView(state.autonomy, rulesOf(proposal)) : undefined;
      const auto = proposal.mode === 'auto';
      const lowerUntil = new Date(now.getTime() + OFFER_TTL_SECONDS * 1000).toISOString();
      const lower = view && view.lowerTo.length > 0 && deps.links.ownerLink ? deps.links.ownerLink(modelId, 'autonomy', 'lower', lowerUntil) : undefined;
      const rendered = renderNotice({
        modelId,
        proposalId,
        result,
        forecast: proposal.reasons.forecast,
        links: {
          ...(report ? { report } : {}),
          ...(auto
            ? {}
            : {
                approve: deps.links.decisionLink(proposal, 'approve'),
                reject: deps.links.decisionLink(proposal, 'reject'),
                snooze: deps.links.decisionLink(proposal, 'snooze'),
              }),
          ...(lower ? { lower } : {}),
        },
        ...(view ? { autonomy: view } : {}),
        ...(auto ? { autoRetrained: true } : {}),
        expiresAt: proposal.expiresAt,
        subjectPrefix: config.notice.subjectPrefix,
        ...(proposal.reasons.retrainBy ? { retrainBy: proposal.reasons.retrainBy } : {}),
        ...(vetoAt ? { vetoAt } : {}),
        ...(humanReviewLead(proposal) ?? {}),
      });
      const { messageId } = await deps.notifier.send({ modelId, proposalId, subject: rendered.subject, text: rendered.text });
      await repo.apply(modelId, proposalId, { type: 'notice-sent', at, messageId });
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'notice', proposalId, evidence: { messageId, subject: rendered.subject } });
      return { status: 'sent', messageId };
    } catch (err) {
      // Not delivered: no proof is recorded, so veto mode cannot fire; the claim lapses and a later run retries.
      deps.log?.({ step: 'notice', modelId, proposalId, error: message(err), at });
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'notice-failed', proposalId, evidence: { error: message(err) } });
      return { status: 'failed', error: message(err) };
    }
  };
}

/** Sends a model's data-quality incident notice at most once (the claim is in the state); see the module comment. */
export type SendIncidentNotice = (config: ModelConfig, now: Date) => Promise<NoticeAttempt>;

/**
 * Build the incident notice sender: claim the state's incident notice, send it, record the delivery.
 * @example
 * const sendIncident = incidentNoticeSender({ repo, notifier, links });
 * await sendIncident(config, new Date());
 */
export function incidentNoticeSender(deps: NotifyDeps): SendIncidentNotice {
  const { repo } = deps;
  return async (config, now) => {
    const at = now.toISOString();
    const { modelId } = config;
    const claimed = await repo.updateState(modelId, (s) => {
      const incident = claimIncidentNotice(s.incident, at, CLAIM_LEASE_SECONDS);
      return incident === null ? null : { ...s, incident };
    });
    const incident = claimed?.changed ? claimed.value.incident : null;
    if (incident === null) return { status: 'not-claimed' };
    try {
      const key = reportKey(modelId, incident.lastCheckId, 'html');
      const reportLink = config.notice.includeReportLink && deps.links.reportLink ? await deps.links.reportLink(key) : undefined;
      const rendered = renderIncidentNotice({ modelId, incident, subjectPrefix: config.notice.subjectPrefix, ...(reportLink ? { reportLink } : {}) });
      const { messageId } = await deps.notifier.send({ modelId, proposalId: incident.incidentId, subject: rendered.subject, text: rendered.text });
      await repo.updateState(modelId, (s) =>
        s.incident?.incidentId === incident.incidentId && s.incident.notice === null ? { ...s, incident: { ...s.incident, notice: { messageId, sentAt: at }, noticeClaim: null } } : null,
      );
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'incident-notice', evidence: { incidentId: incident.incidentId, messageId, subject: rendered.subject } });
      return { status: 'sent', messageId };
    } catch (err) {
      deps.log?.({ step: 'incident-notice', modelId, incidentId: incident.incidentId, error: message(err), at });
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'notice-failed', evidence: { incidentId: incident.incidentId, error: message(err) } });
      return { status: 'failed', error: message(err) };
    }
  };
}

/** Sends every owner notice the model's state queued and not yet delivered (each at most once). */
export type SendOwnerNotices = (config: ModelConfig, now: Date) => Promise<ProposalActivity[]>;

/**
 * Build the owner notice sender: for each queued level change, offer or suggestion, claim it in the state,
 * send it (with its signed accept link, and a lower link above manual), record the delivery and log it.
 * @example
 * const sendOwner = ownerNoticeSender({ repo, notifier, links });
 * await sendOwner(config, new Date());
 */
export function ownerNoticeSender(deps: NotifyDeps): SendOwnerNotices {
  const { repo } = deps;
  return async (config, now) => {
    const at = now.toISOString();
    const { modelId } = config;
    const state = (await repo.state(modelId))?.value;
    if (state === undefined) return [];
    const done: ProposalActivity[] = [];
    for (const item of state.autonomy.outbox.filter((n) => n.notice === null)) {
      const claimed = await repo.updateState(modelId, (s) => {
        const autonomy = claimOwnerNotice(s.autonomy, item.noticeId, at, CLAIM_LEASE_SECONDS);
        return autonomy === null ? null : { ...s, autonomy };
      });
      if (!claimed?.changed) continue;
      try {
        const a = claimed.value.autonomy;
        const rules = rulesFromApproval(config.approval);
        const view = autonomyView(a, rules);
        const offer = item.kind === 'offer' && a.offer?.offerId === item.offerId ? a.offer : null;
        const suggestion = item.kind === 'suggestion' && a.suggestion !== null && a.suggestion.suggestionId === item.suggestionId && a.suggestion.status === 'open' ? a.suggestion : null;
        const owner = deps.links.ownerLink;
        const acceptLink =
          owner === undefined ? undefined : offer ? owner(modelId, offer.offerId, 'accept-level', offer.expiresAt) : suggestion ? owner(modelId, suggestion.suggestionId, 'accept-config', suggestion.expiresAt) : undefined;
        const lowerLink = owner !== undefined && view.lowerTo.length > 0 ? owner(modelId, 'autonomy', 'lower', new Date(now.getTime() + OFFER_TTL_SECONDS * 1000).toISOString()) : undefined;
        const rendered = renderOwnerNotice({
          modelId,
          subjectPrefix: config.notice.subjectPrefix,
          kind: item.kind,
          ...(item.from ? { from: item.from } : {}),
          ...(item.to ? { to: item.to } : {}),
          why: item.why,
          view,
          offer,
          suggestion,
          ...(acceptLink ? { acceptLink } : {}),
          ...(lowerLink ? { lowerLink } : {}),
        });
        const { messageId } = await deps.notifier.send({ modelId, proposalId: item.noticeId, subject: rendered.subject, text: rendered.text });
        await repo.updateState(modelId, (s) => {
          const autonomy = ownerNoticeSent(s.autonomy, item.noticeId, messageId, at);
          return autonomy === null ? null : { ...s, autonomy };
        });
        await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'owner-notice', evidence: { noticeId: item.noticeId, kind: item.kind, messageId, subject: rendered.subject } });
        done.push({ proposalId: item.noticeId, action: 'owner-notice', noticeMessageId: messageId });
      } catch (err) {
        deps.log?.({ step: 'owner-notice', modelId, noticeId: item.noticeId, error: message(err), at });
        await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'notice-failed', evidence: { noticeId: item.noticeId, error: message(err) } });
        done.push({ proposalId: item.noticeId, action: 'owner-notice-failed', error: message(err) });
      }
    }
    return done;
  };
}
