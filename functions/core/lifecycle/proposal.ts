/**
 * The proposal state machine (pure): every change of a stored proposal is `transition(proposal, event)`,
 * applied inside one conditional write by the repository. A transition that does not apply returns null
 * ("nothing to do"), so of any number of concurrent callers exactly one wins each step:
 *
 * ```
 *             decide approve ─┐   (claims the retrain event in the same write)
 *   open ── veto elapsed ─────┤
 *     │  ── auto-approve ─────┴─> approved ── adopt ──> adopted   (auto: the gate retrains, then notifies)
 *     │  ── decide reject ──> rejected
 *     │  ── decide snooze ──> snoozed
 *     │  ── expire ─────────> expired
 *     └──── adopt ──────────> adopted
 * ```
 * Beside the status, two claims make side effects happen once: the notice claim (one notice per
 * proposal) and the retrain claim (one RetrainRequested per approval). A claim is a lease: a claimer that
 * failed or died is replaced after the lease (CLAIM_LEASE_SECONDS), by the scheduled run.
 */
import type { DriftResult } from '../drift/types.js';
import type { RetrainHint } from '../learning/retrain-hint.js';
import type { RetrainRequested } from '../ports.js';
import { RETRAIN_REQUESTED_REVISION } from '../events/lifecycle.js';
import type { Forecast } from '../report/types.js';
import { type AutonomyRules, DEFAULT_RULES, INITIAL_AUTONOMY, type RejectionReason, stepAutonomy } from './autonomy.js';
import type { Incident } from './incident.js';
import { driftedFeatures, evidenceFingerprint } from './proposal-rules.js';
import {
  type DecisionAction,
  type ModelState,
  PROPOSAL_SCHEMA_VERSION,
  type Proposal,
  type ProposalStatus,
  retrainEventId,
} from './types.js';

/** Who automatic steps are recorded as. */
export const AUTOMATIC_ACTOR = 'driftgate';

/** How long a notice or retrain claim holds before another caller may take it over (a crashed holder). */
export const CLAIM_LEASE_SECONDS = 300;

/** The events a proposal reacts to. Times are ISO strings; `at` is the caller's `now`. */
export type ProposalEvent =
  | {
      readonly type: 'decide';
      readonly action: DecisionAction;
      readonly at: string;
      readonly actor: string;
      /** The decision link's use id: its single use is recorded in this same write. */
      readonly tokenId: string;
      readonly reason?: string;
      /** Why a rejection was made (not material, expected, data bug, other). */
      readonly reasonKind?: RejectionReason;
      readonly snoozeUntil?: string;
    }
  | { readonly type: 'veto-window-elapsed'; readonly at: string }
  | { readonly type: 'auto-approve'; readonly at: string }
  | { readonly type: 'expire'; readonly at: string }
  | { readonly type: 'adopt'; readonly version: string }
  | { readonly type: 'claim-notice'; readonly at: string }
  | { readonly type: 'notice-sent'; readonly at: string; readonly messageId: string }
  | { readonly type: 'claim-retrain'; readonly at: string }
  | { readonly type: 'retrain-published'; readonly at: string; readonly messageId: string }
  | { readonly type: 'retrain-failed'; readonly at: string; readonly error: string };

const DECIDED_STATUS = { approve: 'approved', reject: 'rejected', snooze: 'snoozed' } as const satisfies Record<DecisionAction, ProposalStatus>;

function ms(iso: string): number {
  return Date.parse(iso);
}

function leaseOver(claimedAt: string | null, at: string): boolean {
  return claimedAt === null || ms(at) - ms(claimedAt) >= CLAIM_LEASE_SECONDS * 1000;
}

/** When a veto-mode proposal retrains unless rejected: the window after the recorded delivery; null before delivery. */
export function vetoAt(p: Proposal): string | null {
  if (p.mode !== 'veto' || p.notice === null) return null;
  return new Date(ms(p.notice.sentAt) + p.vetoWindowSeconds * 1000).toISOString();
}

function claimRetrain(p: Proposal, at: string): Proposal['retrainEvent'] {
  return { eventId: retrainEventId(p.proposalId), claimedAt: at, messageId: null, at: null };
}

/** Whether a proposal's one notice may go out now: an open one before its expiry; in auto mode, once its retrain was requested. */
function noticeDue(p: Proposal, at: string): boolean {
  if (p.mode === 'auto') return (p.status === 'approved' || p.status === 'adopted') && p.retrainEvent?.messageId != null;
  return p.status === 'open' && ms(at) < ms(p.expiresAt);
}

/**
 * The one rule of how a proposal changes: the next proposal, or null when the event does not apply.
 * @example
 * const next = transition(proposal, { type: 'expire', at: now.toISOString() }); // null unless open and past expiry
 */
export function transition(p: Proposal, e: ProposalEvent): Proposal | null {
  switch (e.type) {
    case 'decide': {
      // A decision after the expiry loses to the expiry, whatever the order the two writes arrive in.
      if (p.status !== 'open' || ms(e.at) >= ms(p.expiresAt)) return null;
      const decision = {
        action: e.action,
        at: e.at,
        actor: e.actor,
        tokenId: e.tokenId,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.reasonKind !== undefined && e.action === 'reject' ? { reasonKind: e.reasonKind } : {}),
        ...(e.snoozeUntil !== undefined ? { snoozeUntil: e.snoozeUntil } : {}),
      };
      const status = DECIDED_STATUS[e.action];
      return { ...p, status, decision, ...(status === 'approved' ? { retrainEvent: claimRetrain(p, e.at) } : {}) };
    }
    case 'veto-window-elapsed': {
      const due = vetoAt(p);
      if (p.status !== 'open' || due === null || ms(e.at) < ms(due) || ms(e.at) >= ms(p.expiresAt)) return null;
      return { ...p, status: 'approved', decision: { action: 'veto-window-elapsed', at: e.at, actor: AUTOMATIC_ACTOR }, retrainEvent: claimRetrain(p, e.at) };
    }
    case 'auto-approve':
      // Earned autonomy: nobody is asked first; the notice follows the retrain request.
      if (p.status !== 'open' || p.mode !== 'auto' || ms(e.at) >= ms(p.expiresAt)) return null;
      return { ...p, status: 'approved', decision: { action: 'auto', at: e.at, actor: AUTOMATIC_ACTOR }, retrainEvent: claimRetrain(p, e.at) };
    case 'expire':
      if (p.status !== 'open' || ms(e.at) < ms(p.expiresAt)) return null;
      return { ...p, status: 'expired', decision: { action: 'expire', at: e.at, actor: AUTOMATIC_ACTOR } };
    case 'adopt':
      if (p.status !== 'open' && p.status !== 'approved') return null;
      return { ...p, status: 'adopted', adoptedVersion: e.version };
    case 'claim-notice':
      if (p.notice !== null || !noticeDue(p, e.at)) return null;
      if (p.noticeClaim !== null && !leaseOver(p.noticeClaim.at, e.at)) return null;
      return { ...p, noticeClaim: { at: e.at } };
    case 'notice-sent':
      // The proof of delivery is recorded whatever happened to the status meanwhile.
      if (p.notice !== null) return null;
      return { ...p, notice: { messageId: e.messageId, sentAt: e.at }, noticeClaim: null };
    case 'claim-retrain': {
      if (p.status !== 'approved') return null;
      const r = p.retrainEvent;
      if (r === null) return { ...p, retrainEvent: claimRetrain(p, e.at) };
      if (r.messageId !== null || !leaseOver(r.claimedAt, e.at)) return null;
      return { ...p, retrainEvent: { ...r, claimedAt: e.at } };
    }
    case 'retrain-published': {
      const r = p.retrainEvent;
      if (r === null || r.messageId !== null) return null;
      return { ...p, retrainEvent: { eventId: r.eventId, claimedAt: null, messageId: e.messageId, at: e.at } };
    }
    case 'retrain-failed': {
      // The claim stays until its lease ends: the scheduled run retries after that, with the same eventId.
      const r = p.retrainEvent;
      if (r === null || r.messageId !== null) return null;
      return { ...p, retrainEvent: { ...r, error: e.error } };
    }
  }
}

/** Whether a retrain claim is held and its event not yet published: the holder must publish now. */
export function holdsRetrainClaim(p: Proposal, at: string): boolean {
  const r = p.retrainEvent;
  return p.status === 'approved' && r !== null && r.messageId === null && r.claimedAt === at;
}

/**
 * The one "blocks a new proposal" rule: the model's active proposal blocks while it is open, and while it
 * is approved and its retrain is awaited (within the proposal TTL of the approval). An active id whose
 * document is not there yet blocks too: the check that committed it is still writing it (a sweep releases
 * it after the claim lease, see `releaseMissing`).
 */
export function blocksNewProposal(state: Pick<ModelState, 'activeProposalId'>, active: Proposal | undefined, now: Date, proposalTtlSeconds: number): boolean {
  if (state.activeProposalId === null) return false;
  if (active === undefined) return true;
  if (active.status === 'open') return true;
  if (active.status === 'approved') return now.getTime() < ms(active.decision?.at ?? active.createdAt) + proposalTtlSeconds * 1000;
  return false;
}

/** A state whose active proposal document never appeared (its writer died after the state commit) lets go of it after the lease. */
export function releaseMissing(state: ModelState, now: Date): ModelState | null {
  if (state.activeProposalId === null || state.lastCheckAt === null) return null;
  if (now.getTime() - ms(state.lastCheckAt) < CLAIM_LEASE_SECONDS * 1000) return null;
  return { ...state, activeProposalId: null };
}

/** The autonomy rules a proposal was opened under (older proposals: the defaults, configured as its mode). */
export function rulesOf(p: Proposal): AutonomyRules {
  return p.autonomyRules ?? { ...DEFAULT_RULES, configured: p.mode === 'veto' ? 'veto' : 'manual' };
}

function releaseSlot(state: ModelState, p: Proposal): ModelState | null {
  if (state.activeProposalId !== p.proposalId) return null;
  switch (p.status) {
    case 'rejected':
      return { ...state, activeProposalId: null, rejected: { fingerprint: p.fingerprint, driftIndex: p.reasons.driftIndex, at: p.decision?.at ?? p.createdAt } };
    case 'snoozed':
      return { ...state, activeProposalId: null, snoozedUntil: p.decision?.snoozeUntil ?? null };
    case 'expired':
      return { ...state, activeProposalId: null };
    default:
      return null;
  }
}

/** The data-quality incident a "data bug" rejection opens (kind `human-data-bug`). */
export function humanIncident(p: Proposal, at: string): Incident {
  const detail = p.decision?.reason ? `: ${p.decision.reason}` : '';
  return {
    incidentId: `dq-human-${p.proposalId}`,
    openedAt: at,
    checkId: p.checkId,
    lastCheckId: p.checkId,
    lastSeenAt: at,
    reason: `A person rejected proposal ${p.proposalId} as a data bug${detail}. Fix the pipeline before retraining.`,
    kinds: ['human-data-bug'],
    notice: null,
    noticeClaim: null,
  };
}

/** What a decided proposal teaches the model's autonomy, once (the state remembers which proposals it counted). */
function countVerdict(state: ModelState, p: Proposal): ModelState | null {
  const outcome = p.status === 'approved' || (p.status === 'adopted' && p.decision !== null) ? 'approved' : p.status === 'rejected' ? 'rejected' : p.status === 'expired' ? 'expired' : null;
  if (outcome === null) return null;
  const at = p.decision?.at ?? p.createdAt;
  const driver = p.reasons.driftedFeatures[0];
  const reasonKind = p.decision?.reasonKind ?? 'other';
  const autonomy = stepAutonomy(
    state.autonomy ?? INITIAL_AUTONOMY,
    {
      type: 'verdict',
      proposalId: p.proposalId,
      outcome,
      at,
      proposedAt: p.createdAt,
      ...(outcome === 'rejected' ? { reason: reasonKind, ...(p.decision?.reason ? { detail: p.decision.reason } : {}) } : {}),
      driver: driver ? { name: driver.name, test: driver.test ?? '', score: driver.score, threshold: driver.threshold } : null,
    },
    rulesOf(p),
  );
  if (autonomy === null) return null;
  // A "data bug" is not drift: it opens a data-quality incident (no proposal opens while it is open).
  const incident = outcome === 'rejected' && reasonKind === 'data-bug' && state.incident === null ? humanIncident(p, at) : state.incident;
  return { ...state, autonomy, incident };
}

/**
 * What a decided proposal does to its model's state, once: a rejection remembers its evidence, a snooze
 * holds new proposals back, and both (and an expiry) release the active slot; every verdict counts once
 * toward (or against) the model's autonomy. Null when nothing changes, so a retry, a twin request or the
 * scheduled run can apply it again safely.
 */
export function settleState(state: ModelState, p: Proposal): ModelState | null {
  const released = releaseSlot(state, p);
  // Only the model's own active proposal counts (a stale one named by an old link does not).
  if (state.activeProposalId !== p.proposalId) return null;
  return countVerdict(released ?? state, p) ?? released;
}

/** Everything a new proposal is made of; `proposalId` is derived by the caller from the state version it committed. */
export interface NewProposal {
  readonly proposalId: string;
  readonly modelId: string;
  readonly checkId: string;
  readonly reportKey: string;
  readonly result: DriftResult;
  /** Drifted features inside an exempt window (listed after the others: they never drive the proposal). @default [] */
  readonly exempt?: readonly string[];
  readonly triggers: readonly string[];
  readonly forecast: Forecast | null;
  readonly retrainBy: string | null;
  readonly mode: Proposal['mode'];
  readonly vetoWindowSeconds: number;
  readonly ttlSeconds: number;
  readonly now: Date;
  /** The config's autonomy rules, kept on the proposal for the decision path. @default none (DEFAULT_RULES) */
  readonly autonomyRules?: AutonomyRules;
  /** The retrain hints computed at proposal time (stored, so the event is the same on every retry). */
  readonly hint?: RetrainHint;
}

/** A new open proposal (no notice, no decision, no retrain yet). */
export function openProposal(n: NewProposal): Proposal {
  return {
    schemaVersion: PROPOSAL_SCHEMA_VERSION,
    proposalId: n.proposalId,
    modelId: n.modelId,
    createdAt: n.now.toISOString(),
    expiresAt: new Date(n.now.getTime() + n.ttlSeconds * 1000).toISOString(),
    mode: n.mode,
    vetoWindowSeconds: n.vetoWindowSeconds,
    status: 'open',
    checkId: n.checkId,
    reportKey: n.reportKey,
    reasons: {
      verdict: n.result.verdict,
      driftIndex: n.result.driftIndex,
      triggers: [...n.triggers],
      driftedFeatures: driftedFeatures(n.result, n.exempt),
      forecast: n.forecast,
      retrainBy: n.retrainBy,
    },
    fingerprint: evidenceFingerprint(n.result),
    notice: null,
    noticeClaim: null,
    decision: null,
    retrainEvent: null,
    adoptedVersion: null,
    ...(n.autonomyRules ? { autonomyRules: { ...n.autonomyRules } } : {}),
    ...(n.hint !== undefined ? { hint: n.hint } : {}),
  };
}

/** The RetrainRequested event of an approved proposal (its `eventId` is stable across retries). */
export function retrainEventOf(p: Proposal, at: string): RetrainRequested {
  const action = p.decision?.action;
  const reason = action === 'veto-window-elapsed' || action === 'auto' ? action : 'approved';
  return {
    type: 'RetrainRequested',
    schemaVersion: 1,
    schemaRevision: RETRAIN_REQUESTED_REVISION,
    eventId: p.retrainEvent?.eventId ?? retrainEventId(p.proposalId),
    modelId: p.modelId,
    proposalId: p.proposalId,
    reason,
    at,
    decidedBy: p.decision?.actor ?? AUTOMATIC_ACTOR,
    evidence: {
      driftedFeatures: p.reasons.driftedFeatures.map((f) => ({ name: f.name, score: f.score, threshold: f.threshold })),
      reportKey: p.reportKey,
    },
    ...(p.hint?.recommendedTrainingRows !== undefined ? { recommendedTrainingRows: p.hint.recommendedTrainingRows } : {}),
    ...(p.hint?.trainingWindow !== undefined ? { trainingWindow: p.hint.trainingWindow } : {}),
  };
}
