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
import { signToken } from '../core/lifecycle/token.js';
import type { DecisionAction, Proposal } from '../core/lifecycle/types.js';
import type { Log, Notifier } from '../core/ports.js';
import { renderIncidentNotice } from '../core/report/incident-notice.js';
import { renderNotice } from '../core/report/index.js';
import type { ModelRepository } from './model-repository.js';

/** Signs the decision links of a notice (the only holder of the HMAC key besides the decision path). */
export interface LinkSigner {
  /** The URL of one signed, single-use link: `${baseUrl}/decide?token=...`. */
  decisionLink(proposal: Proposal, action: DecisionAction): string;
  /** A URL for the proposal's report, when the deployment can serve one. */
  reportLink?(key: string): Promise<string>;
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
    ...(opts.reportLink ? { reportLink: opts.reportLink } : {}),
  };
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
      const rendered = renderNotice({
        modelId,
        proposalId,
        result,
        forecast: proposal.reasons.forecast,
        links: {
          ...(report ? { report } : {}),
          approve: deps.links.decisionLink(proposal, 'approve'),
          reject: deps.links.decisionLink(proposal, 'reject'),
          snooze: deps.links.decisionLink(proposal, 'snooze'),
        },
        expiresAt: proposal.expiresAt,
        subjectPrefix: config.notice.subjectPrefix,
        ...(proposal.reasons.retrainBy ? { retrainBy: proposal.reasons.retrainBy } : {}),
        ...(vetoAt ? { vetoAt } : {}),
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
