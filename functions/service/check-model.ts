/**
 * Check one model: compare the signatures stored since the last check with the reference, adapt the
 * cadence, and maybe open a retrain proposal. The state's conditional write is the commit point, and
 * nothing a committed check promised is lost if its process dies or its writes fail afterwards:
 *
 * 1. Before the commit, the report (JSON, then HTML) is staged under an id derived from the state version
 *    being replaced and the signatures it merges, never from the clock. Every run of that same check (a
 *    retry, a racer, a skewed clock) gets the same keys; the first to stage the JSON (putIfAbsent) fixes
 *    the check's time, and the others adopt it, so they plan the very same check and one report exists.
 * 2. The commit records the check's remaining writes (its proposal, its decision-log lines) in the state
 *    as `pendingCheck`.
 * 3. After the commit those writes are made idempotently (putIfAbsent, log lines with derived ids) and the
 *    record is cleared. If they fail, the next check (a retry), the gate (`tendProposals`) or the next
 *    scheduled run finishes them first (`finishPendingCheck`); no check commits over an unfinished one.
 *
 * So racing checks, even with skewed clocks, open one proposal, write one report and send one notice.
 */
import { createHash } from 'node:crypto';
import { compare } from '../core/drift/index.js';
import { compareSlices, withSlices } from '../core/drift/slices.js';
import type { DriftResult } from '../core/drift/types.js';
import { cadenceChange, forecastCrossing, nextCheckInterval, retrainBy } from '../core/lifecycle/cadence.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { compactTime, reportKey } from '../core/lifecycle/keys.js';
import { nextIncident } from '../core/lifecycle/incident.js';
import { afterCheck, effectiveLevel, rulesFromApproval } from '../core/lifecycle/autonomy.js';
import { AUTOMATIC_ACTOR, blocksNewProposal, openProposal } from '../core/lifecycle/proposal.js';
import { decideProposal, markExemptFeatures, type ProposalDecision } from '../core/lifecycle/proposal-rules.js';
import { type CadenceChange, type CheckOutcome, type Forecast, HISTORY_LIMIT, type HistoryPoint, type ModelState, type PendingCheck, type Proposal, type ProposalOpened } from '../core/lifecycle/types.js';
import type { Log } from '../core/ports.js';
import { parseReportJson, renderHtmlReport, renderReportJson } from '../core/report/index.js';
import type { ReportInput } from '../core/report/types.js';
import type { ModelRepository } from './model-repository.js';
import { logQueued } from './autonomy.js';
import { retrainHints } from './retrain-hints.js';
import { reviewForReport } from './review.js';
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

/**
 * How long a staged report's time binds a run of the same check: longer than any check run lives (the
 * check function's timeout is 15 minutes at most), so a live racer's stage is always adopted.
 */
const STAGE_LEASE_SECONDS = 15 * 60;

function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

/** The clock-free part of a check: which signatures it merges and what they show against the reference. */
interface Evaluation {
  readonly checkId: string;
  readonly fresh: readonly string[];
  readonly result: DriftResult;
  readonly active: Proposal | undefined;
  readonly outcomes: Awaited<ReturnType<ModelRepository['outcomes']>>;
}

/** What a check decided, computed against one version of the state. */
type Plan =
  | { readonly kind: 'no-data'; readonly next: ModelState }
  | {
      readonly kind: 'checked';
      readonly next: ModelState;
      readonly pending: PendingCheck;
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
      /** The autonomy this check started from (an incident it opened may have lowered it). */
      readonly autonomyBefore: ModelState['autonomy'];
    };

/** What finishing a committed check needs (the check itself, or the gate). */
export interface FinishDeps {
  readonly repo: ModelRepository;
  readonly log?: Log;
}

/**
 * Make a committed check's remaining writes (its log lines, its proposal) once, whoever calls and however
 * often: the proposal is created with putIfAbsent and each line carries an id derived from the check.
 */
async function writePending(repo: ModelRepository, modelId: string, pending: PendingCheck): Promise<void> {
  for (const line of pending.log) {
    if (line.action === 'propose' && pending.proposal) await repo.createProposal(pending.proposal);
    await repo.appendLog({ at: pending.at, modelId, actor: AUTOMATIC_ACTOR, action: line.action, evidence: line.evidence, entryId: line.entryId, ...(line.proposalId ? { proposalId: line.proposalId } : {}) });
  }
}

/** Clear the state's record of a check whose writes are done (only that check's record). */
async function clearPending(repo: ModelRepository, modelId: string, checkId: string): Promise<void> {
  await repo.updateState(modelId, (s) => (s.pendingCheck?.checkId === checkId ? { ...s, pendingCheck: undefined } : null));
}

/**
 * Finish the model's committed-but-unfinished check, if there is one (its process died or its writes
 * failed after the commit); returns its check id, or null when there was nothing to finish.
 * @example
 * await finishPendingCheck({ repo }, 'fraud'); // the gate, before tending the active proposal
 */
export async function finishPendingCheck(deps: FinishDeps, modelId: string): Promise<string | null> {
  const pending = (await deps.repo.state(modelId))?.value.pendingCheck;
  if (!pending) return null;
  await writePending(deps.repo, modelId, pending);
  await clearPending(deps.repo, modelId, pending.checkId);
  deps.log?.({ step: 'check', modelId, checkId: pending.checkId, finished: 'pending writes of a committed check', proposalId: pending.proposal?.proposalId });
  return pending.checkId;
}

/**
 * Build the check use case.
 * @example
 * const check = checkModel({ repo, sendNotice });
 * const outcome = await check('fraud', new Date());
 */
export function checkModel(deps: CheckDeps): CheckModel {
  const { repo } = deps;

  async function evaluate(config: ModelConfig, state: ModelState, etag: string): Promise<Evaluation | null> {
    const modelId = state.modelId;
    const consumed = new Set(state.consumed);
    const fresh = (await repo.signatureKeys(modelId)).filter((k) => !consumed.has(k));
    if (fresh.length === 0) return null;
    const reference = await repo.signature(state.reference.key, `reference ${state.reference.version} of model ${modelId}`);
    // Roll-ups stand for the batches they hold where every one is pending; the others are folded one by one.
    const since = new Date(state.lastCheckAt ?? state.reference.at);
    const { signature: current } = await repo.foldPending(modelId, state.reference.version, fresh, since);
    // The config's importances when it names them, else those the reference's adoption manifest gave.
    const importance = config.features.featureImportance ?? state.reference.featureImportance;
    const options = importance === config.features.featureImportance ? config.features : { ...config.features, featureImportance: importance };
    const result = withSlices(compare(reference, current, options), compareSlices(reference, current, options, config.sliceOptions));
    // The same for every run of this check (same state version, same signatures), whatever its clock; the
    // time part is when the check was due, so scheduled checks sort by time.
    const checkId = `${compactTime(new Date(state.nextCheckAt))}-${sha256(`${modelId}\n${etag}\n${fresh.join('\n')}`).slice(0, 10)}`;
    const active = state.activeProposalId ? await repo.proposal(modelId, state.activeProposalId) : undefined;
    const outcomes = await repo.outcomes(modelId);
    return { checkId, fresh, result, active, outcomes };
  }

  async function decide(config: ModelConfig, state: ModelState, etag: string, ev: Evaluation, now: Date): Promise<Extract<Plan, { kind: 'checked' }>> {
    const modelId = state.modelId;
    const at = now.toISOString();
    const { checkId, fresh, outcomes } = ev;
    // A feature inside one of its exempt windows is reported, marked, and drives no proposal.
    const { result, exempt } = markExemptFeatures(ev.result, config.features.overrides, now);
    const point: HistoryPoint = { at, checkId, verdict: result.verdict, action: result.action, score: result.score, driftIndex: result.driftIndex, signatures: fresh.length };
    const history = [...state.history, point].slice(-HISTORY_LIMIT);
    const forecast = forecastCrossing(history, now);
    const interval = nextCheckInterval({ previousSeconds: state.checkIntervalSeconds, driftIndex: result.driftIndex, forecast, bounds: config.cadence, now });
    const change = cadenceChange(now, state.checkIntervalSeconds, interval);
    const nextCheckAt = addSeconds(now, interval.seconds);
    const cadence = change ? [...state.cadence, change].slice(-HISTORY_LIMIT) : state.cadence;
    const reportKeys = { json: reportKey(modelId, checkId, 'json'), html: reportKey(modelId, checkId, 'html') };
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
      activeBlocks: blocksNewProposal(state, ev.active, now, config.proposalTtl),
      incident: quality.incident,
      maxRetrainIntervalSeconds: config.cadence.maxRetrainInterval,
      minRetrainIntervalSeconds: config.cadence.minRetrainInterval,
      exempt,
      now,
    });
    const hint = rule.propose
      ? await retrainHints(repo, config, { history, consumed: [...state.consumed, ...fresh], loaded: new Map(), outcomes, rollups: { modelId, referenceVersion: state.reference.version, since: new Date(state.reference.at) } })
      : undefined;
    const proposal = rule.propose
      ? openProposal({
          hint,
          proposalId: `${compactTime(now)}-${sha256(`proposal\n${modelId}\n${etag}`).slice(0, 10)}`,
          modelId,
          checkId,
          reportKey: reportKeys.html,
          result,
          exempt,
          triggers: rule.triggers,
          forecast,
          retrainBy: retrainBy({ forecast, lastRetrainAt: state.lastRetrainAt, bounds: config.cadence, now }),
          mode: effectiveLevel(state.autonomy, config.approval.mode),
          autonomyRules: rulesFromApproval(config.approval),
          vetoWindowSeconds: config.approval.vetoWindow,
          ttlSeconds: config.proposalTtl,
          now,
        })
      : null;
    // What reviewers said since the previous check (service/review.ts), for the report's review section.
    const review = config.review ? await reviewForReport(repo, modelId, state.lastCheckAt) : undefined;
    const report: ReportInput = {
      modelId,
      checkId,
      generatedAt: at,
      result,
      history,
      cadence,
      forecast,
      ...(outcomes !== undefined && outcomes.outcomes.length > 0 ? { outcomes: outcomes.outcomes } : {}),
      ...(review !== undefined ? { review } : {}),
      ...(proposal ? { proposal: { proposalId: proposal.proposalId, expiresAt: proposal.expiresAt, ...(proposal.reasons.retrainBy ? { retrainBy: proposal.reasons.retrainBy } : {}) } } : {}),
    };
    // The decision-log lines, in order, each with an id derived from the check (see writePending).
    const lines: Omit<PendingCheck['log'][number], 'entryId'>[] = [
      { action: 'check', evidence: { checkId, verdict: result.verdict, driftIndex: result.driftIndex, score: result.score, signatures: fresh.length, reportKey: reportKeys.html, suppressed: rule.suppressed } },
      ...(change ? [{ action: 'cadence' as const, evidence: { ...change } }] : []),
      ...(quality.opened ? [{ action: 'incident-opened' as const, evidence: { incidentId: quality.opened.incidentId, reason: quality.opened.reason, kinds: quality.opened.kinds, reportKey: reportKeys.html } }] : []),
      ...(quality.closed ? [{ action: 'incident-closed' as const, evidence: { incidentId: quality.closed.incidentId, openedAt: quality.closed.openedAt, closedBy: checkId } }] : []),
      ...(proposal ? [{ action: 'propose' as const, proposalId: proposal.proposalId, evidence: { ...proposal.reasons, reportKey: proposal.reportKey } }] : []),
    ];
    const pending: PendingCheck = { checkId, at, proposal, log: lines.map((l) => ({ ...l, entryId: `${checkId}/${l.action}` })) };
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
      autonomy: afterCheck(state.autonomy, quality.opened, at, rulesFromApproval(config.approval)),
      pendingCheck: pending,
    };
    return { kind: 'checked', next, pending, checkId, fresh, result, forecast, change, rule, proposal, report, reportKeys, quality, autonomyBefore: state.autonomy };
  }

  /** Plan against one state version and stage its report; an earlier run of the same check fixes the time. */
  async function plan(config: ModelConfig, state: ModelState, etag: string, now: Date): Promise<Plan> {
    const ev = await evaluate(config, state, etag);
    if (ev === null) {
      return { kind: 'no-data', next: { ...state, lastCheckAt: now.toISOString(), nextCheckAt: addSeconds(now, state.checkIntervalSeconds) } };
    }
    let p = await decide(config, state, etag, ev, now);
    const { json, html } = p.reportKeys;
    if (!(await repo.store.putIfAbsent(json, renderReportJson(p.report)))) {
      const staged = await repo.store.get(json);
      const stagedAt = staged === undefined ? Number.NaN : Date.parse(parseReportJson(Buffer.from(staged.body).toString('utf8'), json).generatedAt);
      if (stagedAt > now.getTime() - STAGE_LEASE_SECONDS * 1000) {
        p = await decide(config, state, etag, ev, new Date(stagedAt));
      } else {
        // Staged by a run that died before its commit (no run lives this long): this run's clock replaces it.
        await repo.store.put(json, renderReportJson(p.report), 'application/json');
        await repo.store.put(html, renderHtmlReport(p.report), 'text/html; charset=utf-8');
        return p;
      }
    }
    // Created once (the same bytes for every run of this check): racers do not overwrite one another's
    // write, and a run that staged the JSON and died before the HTML has it written by the next one.
    await repo.store.putIfAbsent(html, renderHtmlReport(p.report));
    return p;
  }

  return async (modelId, now) => {
    const at = now.toISOString();
    const config = await repo.config(modelId);
    let planned: Plan | undefined;
    const committed = await repo.updateState(modelId, async (state, etag) => {
      // No check commits over an unfinished one: its writes are made first, and this commit clears its record.
      if (state.pendingCheck) await writePending(repo, modelId, state.pendingCheck);
      planned = await plan(config, { ...state, pendingCheck: undefined }, etag, now);
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
    // Only the committed check gets here; if it dies from here on, its record in the state is finished by the next run.
    const { result } = p;
    await writePending(repo, modelId, p.pending);
    await clearPending(repo, modelId, p.checkId);
    // An incident this check opened lowered an earned level: its owner notice is queued in the state, logged here.
    if (p.quality.opened) await logQueued(repo, modelId, p.autonomyBefore, p.next.autonomy, at);
    if (p.quality.opened && deps.sendIncidentNotice) await deps.sendIncidentNotice(config, now);
    let opened: ProposalOpened | null = null;
    if (p.proposal) {
      const proposal = p.proposal;
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
