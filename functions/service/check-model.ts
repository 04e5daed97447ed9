/**
 * Check one model: compare the signatures stored since the last check with the reference, adapt the
 * cadence, and maybe open a retrain proposal. The state's conditional write is the commit point: the plan
 * is computed inside the repository's update loop, and only the check that commits writes the reports,
 * creates the proposal, logs and notifies. So racing checks, even with skewed clocks, open one proposal,
 * write one report and send one notice.
 */
import { createHash } from 'node:crypto';
import { compare } from '../core/drift/index.js';
import type { DriftResult } from '../core/drift/types.js';
import { cadenceChange, forecastCrossing, nextCheckInterval, retrainBy } from '../core/lifecycle/cadence.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { compactTime, reportKey } from '../core/lifecycle/keys.js';
import { nextIncident } from '../core/lifecycle/incident.js';
import { AUTOMATIC_ACTOR, blocksNewProposal, openProposal } from '../core/lifecycle/proposal.js';
import { decideProposal, type ProposalDecision } from '../core/lifecycle/proposal-rules.js';
import { type CadenceChange, type CheckOutcome, type Forecast, HISTORY_LIMIT, type HistoryPoint, type ModelState, type Proposal, type ProposalOpened } from '../core/lifecycle/types.js';
import type { Log } from '../core/ports.js';
import { renderHtmlReport, renderReportJson } from '../core/report/index.js';
import type { ReportInput } from '../core/report/types.js';
import { mergeAll } from '../core/signature/index.js';
import type { ModelRepository } from './model-repository.js';
import type { SendIncidentNotice, SendNotice } from './notify.js';

/** What checking needs: the repository, and on one machine the notice sender (never the retrain topic). */
export interface CheckDeps {
  readonly repo: ModelRepository;
  /**
   * Sends a new proposal's notice right away (one machine). In AWS the check function holds no signing
   * key: the gate function sends it, triggered by the proposal's creation.
   * @default none
   */
  readonly sendNotice?: SendNotice;
  /** Sends a data-quality incident's notice right away when this check opens it (one machine). @default none: the gate sends it */
  readonly sendIncidentNotice?: SendIncidentNotice;
  readonly log?: Log;
}

/** Checks one model now. */
export type CheckModel = (modelId: string, now: Date) => Promise<CheckOutcome>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

/** What a check decided, computed against one version of the state. */
type Plan =
  | { readonly kind: 'no-data'; readonly next: ModelState }
  | {
      readonly kind: 'checked';
      readonly next: ModelState;
      readonly checkId: string;
      readonly fresh: readonly string[];
      readonly result: DriftResult;
      readonly forecast: Forecast;
      readonly change: CadenceChange | null;
      readonly rule: ProposalDecision;
      readonly proposal: Proposal | null;
      readonly report: ReportInput;
      readonly reportKeys: { readonly json: string; readonly html: string };
      readonly quality: ReturnType<typeof nextIncident>;
    };

/**
 * Build the check use case.
 * @example
 * const check = checkModel({ repo, sendNotice });
 * const outcome = await check('fraud', new Date());
 */
export function checkModel(deps: CheckDeps): CheckModel {
  const { repo } = deps;

  async function plan(config: ModelConfig, state: ModelState, etag: string, now: Date): Promise<Plan> {
    const modelId = state.modelId;
    const at = now.toISOString();
    const consumed = new Set(state.consumed);
    const fresh = (await repo.signatureKeys(modelId)).filter((k) => !consumed.has(k));
    if (fresh.length === 0) {
      return { kind: 'no-data', next: { ...state, lastCheckAt: at, nextCheckAt: addSeconds(now, state.checkIntervalSeconds) } };
    }
    const reference = await repo.signature(state.reference.key, `reference ${state.reference.version} of model ${modelId}`);
    const signatures = await Promise.all(fresh.map((k) => repo.signature(k)));
    const result = compare(reference, mergeAll(signatures), config.features);
    // Derived from the state version this check read: the id is the same for any check of that version.
    const checkId = `${compactTime(now)}-${sha256(`${modelId}\n${etag}`).slice(0, 8)}`;
    const point: HistoryPoint = { at, checkId, verdict: result.verdict, action: result.action, score: result.score, driftIndex: result.driftIndex };
    const history = [...state.history, point].slice(-HISTORY_LIMIT);
    const forecast = forecastCrossing(history, now);
    const interval = nextCheckInterval({ previousSeconds: state.checkIntervalSeconds, driftIndex: result.driftIndex, forecast, bounds: config.cadence, now });
    const change = cadenceChange(now, state.checkIntervalSeconds, interval);
    const nextCheckAt = addSeconds(now, interval.seconds);
    const cadence = change ? [...state.cadence, change].slice(-HISTORY_LIMIT) : state.cadence;
    const reportKeys = { json: reportKey(modelId, checkId, 'json'), html: reportKey(modelId, checkId, 'html') };
    const active = state.activeProposalId ? await repo.proposal(modelId, state.activeProposalId) : undefined;
    const quality = nextIncident(
      state.incident,
      { dataQuality: result.action === 'data-quality', reason: result.actionReason, kinds: result.incidents.map((i) => i.kind) },
      { checkId, at },
    );
    const rule = decideProposal({
      result,
      forecast,
      nextCheckAt,
      state,
      activeBlocks: blocksNewProposal(state, active, now, config.proposalTtl),
      incident: quality.incident,
      maxRetrainIntervalSeconds: config.cadence.maxRetrainInterval,
      minRetrainIntervalSeconds: config.cadence.minRetrainInterval,
      now,
    });
    const proposal = rule.propose
      ? openProposal({
          proposalId: `${compactTime(now)}-${sha256(`proposal\n${modelId}\n${etag}`).slice(0, 10)}`,
          modelId,
          checkId,
          reportKey: reportKeys.html,
          result,
          triggers: rule.triggers,
          forecast,
          retrainBy: retrainBy({ forecast, lastRetrainAt: state.lastRetrainAt, bounds: config.cadence, now }),
          mode: config.approval.mode,
          vetoWindowSeconds: config.approval.vetoWindow,
          ttlSeconds: config.proposalTtl,
          now,
        })
      : null;
    const report: ReportInput = {
      modelId,
      checkId,
      generatedAt: at,
      result,
      history,
      cadence,
      forecast,
      ...(proposal ? { proposal: { proposalId: proposal.proposalId, expiresAt: proposal.expiresAt, ...(proposal.reasons.retrainBy ? { retrainBy: proposal.reasons.retrainBy } : {}) } } : {}),
    };
    const next: ModelState = {
      ...state,
      lastCheckAt: at,
      nextCheckAt,
      checkIntervalSeconds: interval.seconds,
      consumed: [...state.consumed, ...fresh],
      history,
      cadence,
      forecast,
      activeProposalId: proposal ? proposal.proposalId : state.activeProposalId,
      incident: quality.incident,
    };
    return { kind: 'checked', next, checkId, fresh, result, forecast, change, rule, proposal, report, reportKeys, quality };
  }

  return async (modelId, now) => {
    const at = now.toISOString();
    const config = await repo.config(modelId);
    let planned: Plan | undefined;
    const committed = await repo.updateState(modelId, async (state, etag) => {
      planned = await plan(config, state, etag, now);
      return planned.next;
    });
    if (committed === undefined || planned === undefined) {
      deps.log?.({ step: 'check', modelId, outcome: 'no-reference', at });
      return { status: 'no-reference', modelId };
    }
    const p = planned;
    if (p.kind === 'no-data') {
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'check', evidence: { outcome: 'no-data', nextCheckAt: p.next.nextCheckAt } });
      return { status: 'no-data', modelId, nextCheckAt: p.next.nextCheckAt, checkIntervalSeconds: p.next.checkIntervalSeconds };
    }
    // Only the committed check gets here.
    await repo.store.put(p.reportKeys.json, renderReportJson(p.report), 'application/json');
    await repo.store.put(p.reportKeys.html, renderHtmlReport(p.report), 'text/html; charset=utf-8');
    const { result } = p;
    await repo.appendLog({
      at,
      modelId,
      actor: AUTOMATIC_ACTOR,
      action: 'check',
      evidence: { checkId: p.checkId, verdict: result.verdict, driftIndex: result.driftIndex, score: result.score, signatures: p.fresh.length, reportKey: p.reportKeys.html, suppressed: p.rule.suppressed },
    });
    if (p.change) await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'cadence', evidence: { ...p.change } });
    if (p.quality.opened) await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'incident-opened', evidence: { incidentId: p.quality.opened.incidentId, reason: p.quality.opened.reason, kinds: p.quality.opened.kinds, reportKey: p.reportKeys.html } });
    if (p.quality.opened && deps.sendIncidentNotice) await deps.sendIncidentNotice(config, now);
    if (p.quality.closed) await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'incident-closed', evidence: { incidentId: p.quality.closed.incidentId, openedAt: p.quality.closed.openedAt, closedBy: p.checkId } });
    let opened: ProposalOpened | null = null;
    if (p.proposal) {
      const proposal = p.proposal;
      await repo.createProposal(proposal);
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'propose', proposalId: proposal.proposalId, evidence: { ...proposal.reasons, reportKey: proposal.reportKey } });
      const sent = deps.sendNotice ? await deps.sendNotice(config, proposal, result, now) : undefined;
      opened = {
        proposalId: proposal.proposalId,
        expiresAt: proposal.expiresAt,
        triggers: p.rule.triggers,
        noticeMessageId: sent?.status === 'sent' ? sent.messageId : null,
        ...(sent?.status === 'failed' ? { noticeError: sent.error } : {}),
      };
    }
    deps.log?.({ step: 'check', modelId, checkId: p.checkId, verdict: result.verdict, driftIndex: result.driftIndex, nextCheckAt: p.next.nextCheckAt, proposalId: p.proposal?.proposalId, at });
    const driftedNames = result.features.filter((f) => f.drift).map((f) => f.name).sort();
    return {
      status: 'checked',
      modelId,
      checkId: p.checkId,
      verdict: result.verdict,
      action: result.action,
      actionReason: result.actionReason,
      incident: p.quality.incident ? { incidentId: p.quality.incident.incidentId, opened: p.quality.opened !== null } : null,
      driftIndex: result.driftIndex,
      score: result.score,
      signatures: p.fresh.length,
      driftedFeatures: driftedNames.length,
      driftedFeatureNames: driftedNames,
      reportKeys: p.reportKeys,
      forecast: p.forecast,
      cadenceChange: p.change,
      checkIntervalSeconds: p.next.checkIntervalSeconds,
      nextCheckAt: p.next.nextCheckAt,
      proposal: opened,
      suppressed: p.rule.suppressed,
    };
  };
}
