/**
 * Humans in the loop beyond the gate (pure): autonomy that is earned, and verdicts that teach.
 *
 * Levels: `manual` (only an approval retrains), `veto` (a delivered notice not rejected in time retrains),
 * `auto` (retrain, then notify). A model is OFFERED the next level after `promoteAfter` approved proposals
 * in a row with no rejection, no failed or rolled-back retrain and no data-quality incident; it moves up
 * only when the owner accepts the offer (a signed link). Any rejection, failed/rolled-back retrain or
 * incident drops it to `manual` at once. The owner may always lower the level.
 *
 * A rejection says why (REJECTION_REASONS). After `suggestAfter` rejections of proposals driven by the
 * same feature as "not material" or "expected", driftgate PROPOSES a higher threshold for that feature
 * (never applies it); the owner accepts it through a signed link, which writes a new config version. When
 * every one of them was "expected or seasonal" and their proposals fall in one recurring UTC window
 * (`recurringWindow`), it proposes an exemption of that feature in that window instead.
 *
 * Every change here is a pure step of `stepAutonomy(state, event, rules)`; what a person must hear about
 * (a level change, an offer, a suggestion) is queued in the state's `outbox`, sent once by the gate.
 */
import { z } from 'zod';
import { DRIFT_TESTS, isDriftTestName } from '../drift/registry.js';
import { exemptWindowSchema, type ExemptWindow } from '../drift/options.js';
import { isoTimeSchema } from '../report/types.js';

/** Autonomy levels, least autonomous first. */
export const AUTONOMY_LEVELS = ['manual', 'veto', 'auto'] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

/** Why a proposal was rejected (the decision page asks; `other` comes with free text). */
export const REJECTION_REASONS = ['not-material', 'expected', 'data-bug', 'other'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Words for each rejection reason, as the decision page and the notices show them. */
export const REJECTION_REASON_TEXT: Readonly<Record<RejectionReason, string>> = {
  'not-material': 'not material',
  expected: 'expected or seasonal',
  'data-bug': 'data bug',
  other: 'other',
};

/** Rejection reasons that teach a threshold (the drift was real but did not matter, or was expected). */
export const TEACHING_REASONS: readonly RejectionReason[] = ['not-material', 'expected'];

/** What a retraining system may report about a retrain (the adoption's outcome). */
export const RETRAIN_OUTCOMES = ['succeeded', 'failed', 'rolled-back'] as const;
export type RetrainOutcome = (typeof RETRAIN_OUTCOMES)[number];

/** Approved proposals in a row that earn an offer of the next level. @default 5 */
export const DEFAULT_PROMOTE_AFTER = 5;
/** Teaching rejections of one feature that make driftgate suggest a config change. @default 3 */
export const DEFAULT_SUGGEST_AFTER = 3;
/** How long an offer or a suggestion (and its signed link) stays open. @default 14 days */
export const OFFER_TTL_SECONDS = 14 * 86_400;
/** How many verdicts, rejections and notices the state remembers (older ones drop off). */
export const AUTONOMY_MEMORY = 30;
/** A suggested distance threshold sits this factor above the largest rejected score. */
export const THRESHOLD_MARGIN = 1.1;

const levelSchema = z.enum(AUTONOMY_LEVELS);
const reasonSchema = z.enum(REJECTION_REASONS);

const rejectionSchema = z.object({
  proposalId: z.string(),
  at: isoTimeSchema,
  reason: reasonSchema,
  /** The free text of the rejection, if any (data: escaped wherever shown). */
  detail: z.string().optional(),
  /** When the rejected proposal was opened (the drift's time, for recurring windows); absent in older states. */
  proposedAt: isoTimeSchema.optional(),
  /** The proposal's strongest drifted feature: what "driven by the same feature" compares. */
  driver: z.object({ name: z.string(), test: z.string(), score: z.number(), threshold: z.number() }).nullable(),
});
export type RejectionRecord = z.infer<typeof rejectionSchema>;

/** A config change driftgate proposes to the owner (never applies by itself). */
const suggestionSchema = z.object({
  suggestionId: z.string(),
  createdAt: isoTimeSchema,
  expiresAt: isoTimeSchema,
  /** `threshold`: raise the feature's threshold from → to; `window`: exempt the feature in `window` (from = to, unchanged). */
  kind: z.enum(['threshold', 'window']),
  feature: z.string(),
  test: z.string(),
  from: z.number(),
  to: z.number(),
  window: exemptWindowSchema.optional(),
  /** The rejections that led to it (proposal ids, oldest first). */
  verdicts: z.array(z.string()),
  reasons: z.array(reasonSchema),
  status: z.enum(['open', 'accepted']),
  /** Set once accepted: the config version it became. */
  acceptedVersion: z.number().int().optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

const offerSchema = z.object({ offerId: z.string(), level: levelSchema, offeredAt: isoTimeSchema, expiresAt: isoTimeSchema });
export type Offer = z.infer<typeof offerSchema>;

/** One message to the owner waiting to be sent by the gate (at most once: a claim, then the proof). */
const outboxSchema = z.object({
  noticeId: z.string(),
  kind: z.enum(['level', 'offer', 'suggestion']),
  at: isoTimeSchema,
  from: levelSchema.optional(),
  to: levelSchema.optional(),
  /** Our sentence (it may quote a feature name: escaped wherever shown). */
  why: z.string(),
  offerId: z.string().optional(),
  suggestionId: z.string().optional(),
  notice: z.object({ messageId: z.string(), sentAt: isoTimeSchema }).nullable(),
  noticeClaim: z.object({ at: isoTimeSchema }).nullable(),
});
export type OwnerNotice = z.infer<typeof outboxSchema>;

const recordSchema = z.object({
  approved: z.number().int().default(0),
  rejected: z.number().int().default(0),
  expired: z.number().int().default(0),
  reasons: z.partialRecord(reasonSchema, z.number().int()).default({}),
});

/** The model's autonomy and what its people taught it (`state.autonomy`); absent in older states. */
export const autonomyStateSchema = z.object({
  /** The level; null = as configured (`approval.mode`), until something changes it. */
  level: levelSchema.nullable().default(null),
  /** Approved proposals in a row since the last level change, rejection, failure or incident. */
  streak: z.number().int().default(0),
  record: recordSchema.default({ approved: 0, rejected: 0, expired: 0, reasons: {} }),
  /** Proposals already counted (a settlement applied twice counts once). */
  counted: z.array(z.string()).default([]),
  offer: offerSchema.nullable().default(null),
  rejections: z.array(rejectionSchema).default([]),
  /** Rejections already used by a suggestion (they do not suggest twice). */
  used: z.array(z.string()).default([]),
  suggestion: suggestionSchema.nullable().default(null),
  /** The version of the model's config that driftgate wrote last (1 = the owner's own). */
  configVersion: z.number().int().default(1),
  outbox: z.array(outboxSchema).default([]),
});
export type AutonomyState = z.infer<typeof autonomyStateSchema>;

/** The autonomy of a model that never had any: as configured, nothing counted yet. */
export const INITIAL_AUTONOMY: AutonomyState = autonomyStateSchema.parse({});

/** What the rules need from the config (snapshotted into each proposal). */
export interface AutonomyRules {
  /** The config's `approval.mode`: the level while the state says nothing. */
  readonly configured: 'manual' | 'veto';
  readonly promoteAfter: number;
  readonly suggestAfter: number;
}

export const DEFAULT_RULES: AutonomyRules = { configured: 'manual', promoteAfter: DEFAULT_PROMOTE_AFTER, suggestAfter: DEFAULT_SUGGEST_AFTER };

/** What changes a model's autonomy. `at` is the caller's `now`. */
export type AutonomyEvent =
  | {
      readonly type: 'verdict';
      readonly proposalId: string;
      readonly outcome: 'approved' | 'rejected' | 'expired';
      readonly at: string;
      readonly reason?: RejectionReason;
      readonly detail?: string;
      /** When the proposal was opened (its createdAt). */
      readonly proposedAt?: string;
      readonly driver?: RejectionRecord['driver'];
    }
  | { readonly type: 'retrain-outcome'; readonly proposalId: string; readonly status: RetrainOutcome; readonly at: string }
  | { readonly type: 'incident'; readonly incidentId: string; readonly at: string }
  | { readonly type: 'accept-offer'; readonly offerId: string; readonly at: string }
  | { readonly type: 'lower'; readonly to: AutonomyLevel; readonly at: string }
  | { readonly type: 'accept-suggestion'; readonly suggestionId: string; readonly version: number; readonly at: string };

const rank = (level: AutonomyLevel): number => AUTONOMY_LEVELS.indexOf(level);

/** The level in force: the state's, else the configured one. */
export function effectiveLevel(a: AutonomyState, configured: AutonomyRules['configured']): AutonomyLevel {
  return a.level ?? configured;
}

/** The next level up, or null at the top. */
export function nextLevel(level: AutonomyLevel): AutonomyLevel | null {
  return AUTONOMY_LEVELS[rank(level) + 1] ?? null;
}

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

function remember<T>(list: readonly T[], item: T): T[] {
  return [...list, item].slice(-AUTONOMY_MEMORY);
}

/** A stable, key-safe id for a queued item: what it is about and when. */
function idOf(kind: string, about: string, at: string): string {
  return `${kind}-${at.replace(/[-:.]/g, '')}-${about}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
}

function queue(a: AutonomyState, item: Omit<OwnerNotice, 'notice' | 'noticeClaim'>): AutonomyState {
  // Delivered items are history; the oldest of them drop off first.
  return { ...a, outbox: remember(a.outbox, { ...item, notice: null, noticeClaim: null }) };
}

/** Drop to manual at once (a rejection, a failed retrain, an incident): says so when anything was lost. */
function demote(a: AutonomyState, rules: AutonomyRules, at: string, why: string, about: string): AutonomyState {
  const from = effectiveLevel(a, rules.configured);
  const lost = from !== 'manual' || a.offer !== null;
  const next: AutonomyState = { ...a, level: 'manual', streak: 0, offer: null };
  if (!lost) return next;
  const withdrawn = a.offer !== null ? ` The offer to move to ${a.offer.level} is withdrawn.` : '';
  return queue(next, { noticeId: idOf('level', about, at), kind: 'level', at, from, to: 'manual', why: `${why}${withdrawn}` });
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/**
 * The recurring UTC window a set of times share, or null. A field (month 1–12, weekday 0–6 with 0 = Sunday,
 * hour 0–23) is part of the window when every time has the same value AND the times fall in at least two
 * distinct occurrences of it, so that it recurred rather than happened once: an hour on two or more UTC
 * dates, a weekday on two or more dates, a month in two or more years. The window holds every field that
 * recurred (all must match: "Mondays at 10:00" is narrower than "Mondays"); fewer than two times give null.
 * @example recurringWindow(['2026-04-06T10:05:00Z', '2026-04-07T10:40:00Z']) // { hour: 10 }
 */
export function recurringWindow(times: readonly string[]): ExemptWindow | null {
  if (times.length < 2) return null;
  const dates = times.map((t) => new Date(t));
  const same = (f: (d: Date) => number): boolean => dates.every((d) => f(d) === f(dates[0]));
  const distinct = (f: (d: Date) => number | string): number => new Set(dates.map(f)).size;
  const day = (d: Date): string => d.toISOString().slice(0, 10);
  const window: { month?: number; weekday?: number; hour?: number } = {};
  if (same((d) => d.getUTCMonth()) && distinct((d) => d.getUTCFullYear()) >= 2) window.month = dates[0].getUTCMonth() + 1;
  if (same((d) => d.getUTCDay()) && distinct(day) >= 2) window.weekday = dates[0].getUTCDay();
  if (same((d) => d.getUTCHours()) && distinct(day) >= 2) window.hour = dates[0].getUTCHours();
  return Object.keys(window).length > 0 ? window : null;
}

/** Whether a time lies inside a window (UTC; every field the window names must match). */
export function inWindow(window: ExemptWindow, at: Date): boolean {
  return (
    (window.month === undefined || at.getUTCMonth() + 1 === window.month) &&
    (window.weekday === undefined || at.getUTCDay() === window.weekday) &&
    (window.hour === undefined || at.getUTCHours() === window.hour)
  );
}

/** A window in words, e.g. "in April, on Mondays, 10:00–10:59 UTC". */
export function windowText(window: ExemptWindow): string {
  const parts = [
    window.month !== undefined ? `in ${MONTHS[window.month - 1]}` : '',
    window.weekday !== undefined ? `on ${WEEKDAYS[window.weekday]}s` : '',
    window.hour !== undefined ? `${String(window.hour).padStart(2, '0')}:00–${String(window.hour).padStart(2, '0')}:59` : '',
  ].filter(Boolean);
  return `${parts.join(', ')} UTC`;
}

/** The first of a feature's exempt windows that holds at `at`, or null. */
export function activeExemption(windows: readonly ExemptWindow[] | undefined, at: Date): ExemptWindow | null {
  return windows?.find((w) => inWindow(w, at)) ?? null;
}

/** The strongest of a list of rejections' drivers for one feature, as a new threshold. */
export function suggestedThreshold(test: string, from: number, scores: readonly number[]): number {
  const pValue = isDriftTestName(test) && DRIFT_TESTS[test].scoreKind === 'p-value';
  if (pValue) {
    // A p-value test drifts below its threshold: the suggestion sits below every rejected score.
    const lowest = Math.min(...scores, from);
    return Number((lowest / 2).toPrecision(3));
  }
  const highest = Math.max(...scores, from);
  return Number((highest * THRESHOLD_MARGIN).toPrecision(3));
}

/** A threshold suggestion once `suggestAfter` teaching rejections of one driving feature are unused; else null. */
export function suggestionFor(a: AutonomyState, rules: AutonomyRules, at: string): Suggestion | null {
  if (a.suggestion !== null && a.suggestion.status === 'open') return null;
  const used = new Set(a.used);
  const byFeature = new Map<string, RejectionRecord[]>();
  for (const r of a.rejections) {
    if (r.driver === null || used.has(r.proposalId) || !TEACHING_REASONS.includes(r.reason)) continue;
    byFeature.set(r.driver.name, [...(byFeature.get(r.driver.name) ?? []), r]);
  }
  for (const [feature, list] of byFeature) {
    if (list.length < rules.suggestAfter) continue;
    const last = list[list.length - 1].driver!;
    // Every rejection "expected or seasonal", and their proposals' times recur in one window: exempt it there.
    const seasonal = list.every((r) => r.reason === 'expected' && r.proposedAt !== undefined);
    const window = seasonal ? recurringWindow(list.map((r) => r.proposedAt as string)) : null;
    const to = window !== null ? last.threshold : suggestedThreshold(last.test, last.threshold, list.map((r) => r.driver!.score));
    return {
      suggestionId: idOf('suggestion', feature.slice(0, 40), at),
      createdAt: at,
      expiresAt: addSeconds(at, OFFER_TTL_SECONDS),
      kind: window !== null ? 'window' : 'threshold',
      feature,
      test: last.test,
      from: last.threshold,
      to,
      ...(window !== null ? { window } : {}),
      verdicts: list.map((r) => r.proposalId),
      reasons: [...new Set(list.map((r) => r.reason))],
      status: 'open',
    };
  }
  return null;
}

/**
 * The one rule of how a model's autonomy changes: the next state, or null when the event does not apply
 * (a verdict counted already, an offer that is gone, a "lower" that would not lower).
 * @example
 * const next = stepAutonomy(state.autonomy, { type: 'verdict', proposalId, outcome: 'approved', at }, rules);
 */
export function stepAutonomy(a: AutonomyState, e: AutonomyEvent, rules: AutonomyRules): AutonomyState | null {
  switch (e.type) {
    case 'verdict': {
      if (a.counted.includes(e.proposalId)) return null;
      const counted = remember(a.counted, e.proposalId);
      if (e.outcome === 'expired') {
        // Nobody decided: the streak of approvals is broken, nothing is lost.
        return { ...a, counted, streak: 0, record: { ...a.record, expired: a.record.expired + 1 } };
      }
      if (e.outcome === 'approved') {
        const streak = a.streak + 1;
        const base: AutonomyState = { ...a, counted, streak, record: { ...a.record, approved: a.record.approved + 1 } };
        const level = effectiveLevel(a, rules.configured);
        const up = nextLevel(level);
        if (up === null || a.offer !== null || streak < rules.promoteAfter) return base;
        const offer: Offer = { offerId: idOf('offer', up, e.at), level: up, offeredAt: e.at, expiresAt: addSeconds(e.at, OFFER_TTL_SECONDS) };
        return queue(
          { ...base, offer },
          { noticeId: offer.offerId, kind: 'offer', at: e.at, from: level, to: up, offerId: offer.offerId, why: `${streak} approved proposals in a row with no rejection, failed retrain or data-quality incident.` },
        );
      }
      const reason = e.reason ?? 'other';
      const rejection: RejectionRecord = { proposalId: e.proposalId, at: e.at, reason, ...(e.detail ? { detail: e.detail } : {}), ...(e.proposedAt ? { proposedAt: e.proposedAt } : {}), driver: e.driver ?? null };
      const base: AutonomyState = {
        ...a,
        counted,
        rejections: remember(a.rejections, rejection),
        record: { ...a.record, rejected: a.record.rejected + 1, reasons: { ...a.record.reasons, [reason]: (a.record.reasons[reason] ?? 0) + 1 } },
      };
      const demoted = demote(base, rules, e.at, `Proposal ${e.proposalId} was rejected (${REJECTION_REASON_TEXT[reason]}).`, e.proposalId);
      const suggestion = suggestionFor(demoted, rules, e.at);
      if (suggestion === null) return demoted;
      return queue(
        { ...demoted, suggestion, used: [...demoted.used, ...suggestion.verdicts].slice(-AUTONOMY_MEMORY) },
        { noticeId: suggestion.suggestionId, kind: 'suggestion', at: e.at, suggestionId: suggestion.suggestionId, why: `${suggestion.verdicts.length} proposals driven by the same feature were rejected as ${suggestion.reasons.map((r) => REJECTION_REASON_TEXT[r]).join(' or ')}.` },
      );
    }
    case 'retrain-outcome':
      if (e.status === 'succeeded') return null;
      return demote(a, rules, e.at, `The retrain of proposal ${e.proposalId} was reported ${e.status}.`, `${e.proposalId}-${e.status}`);
    case 'incident':
      return demote(a, rules, e.at, `Data-quality incident ${e.incidentId} opened.`, e.incidentId);
    case 'accept-offer': {
      const offer = a.offer;
      if (offer === null || offer.offerId !== e.offerId || Date.parse(e.at) >= Date.parse(offer.expiresAt)) return null;
      const from = effectiveLevel(a, rules.configured);
      return queue(
        { ...a, level: offer.level, streak: 0, offer: null },
        { noticeId: idOf('level', offer.offerId, e.at), kind: 'level', at: e.at, from, to: offer.level, why: 'The owner accepted the offer.' },
      );
    }
    case 'lower': {
      const from = effectiveLevel(a, rules.configured);
      if (rank(e.to) >= rank(from)) return null;
      return queue(
        { ...a, level: e.to, streak: 0, offer: null },
        { noticeId: idOf('level', `lower-${e.to}`, e.at), kind: 'level', at: e.at, from, to: e.to, why: 'The owner lowered the level.' },
      );
    }
    case 'accept-suggestion': {
      const s = a.suggestion;
      if (s === null || s.suggestionId !== e.suggestionId || s.status !== 'open' || Date.parse(e.at) >= Date.parse(s.expiresAt)) return null;
      return { ...a, suggestion: { ...s, status: 'accepted', acceptedVersion: e.version }, configVersion: e.version };
    }
  }
}

/** The outbox items of `after` that `before` did not have (what a step queued: the caller logs them). */
export function queuedBy(before: AutonomyState, after: AutonomyState): OwnerNotice[] {
  const known = new Set(before.outbox.map((n) => n.noticeId));
  return after.outbox.filter((n) => !known.has(n.noticeId));
}

/** The outbox with this caller's claim on one item, or null when it is delivered or another sender holds the lease. */
export function claimOwnerNotice(a: AutonomyState, noticeId: string, at: string, leaseSeconds: number): AutonomyState | null {
  const item = a.outbox.find((n) => n.noticeId === noticeId);
  if (item === undefined || item.notice !== null) return null;
  if (item.noticeClaim !== null && Date.parse(at) - Date.parse(item.noticeClaim.at) < leaseSeconds * 1000) return null;
  return { ...a, outbox: a.outbox.map((n) => (n.noticeId === noticeId ? { ...n, noticeClaim: { at } } : n)) };
}

/** The outbox with one item's proof of delivery recorded (null when it is recorded already). */
export function ownerNoticeSent(a: AutonomyState, noticeId: string, messageId: string, at: string): AutonomyState | null {
  const item = a.outbox.find((n) => n.noticeId === noticeId);
  if (item === undefined || item.notice !== null) return null;
  return { ...a, outbox: a.outbox.map((n) => (n.noticeId === noticeId ? { ...n, notice: { messageId, sentAt: at }, noticeClaim: null } : n)) };
}

/** What the decision page and the notices say about a model's autonomy: the level, the record, the next step. */
export interface AutonomyView {
  readonly level: AutonomyLevel;
  /** e.g. "4 approved, 1 rejected (not material 1), 0 expired". */
  readonly record: string;
  readonly nextStep: string;
  /** Levels the owner may lower to from here (may be empty). */
  readonly lowerTo: readonly AutonomyLevel[];
}

/** The level, the track record and the next step toward or away from more autonomy, in words. */
export function autonomyView(a: AutonomyState, rules: AutonomyRules): AutonomyView {
  const level = effectiveLevel(a, rules.configured);
  const reasons = REJECTION_REASONS.filter((r) => (a.record.reasons[r] ?? 0) > 0)
    .map((r) => `${REJECTION_REASON_TEXT[r]} ${a.record.reasons[r]}`)
    .join(', ');
  const record = `${a.record.approved} approved, ${a.record.rejected} rejected${reasons ? ` (${reasons})` : ''}, ${a.record.expired} expired`;
  const up = nextLevel(level);
  const away = 'any rejection, failed retrain or data-quality incident drops it to manual';
  const nextStep =
    a.offer !== null
      ? `An offer to move up to ${a.offer.level} waits for the owner (until ${a.offer.expiresAt}); ${away}.`
      : up === null
        ? `Highest level (auto: retrain, then notify); ${away}.`
        : `${Math.max(0, rules.promoteAfter - a.streak)} more approved proposal(s) in a row earn an offer of ${up}; ${away}.`;
  return { level, record, nextStep, lowerTo: AUTONOMY_LEVELS.filter((l) => rank(l) < rank(level)) };
}

/** The autonomy rules of a config's `approval` block. */
export function rulesFromApproval(approval: { readonly mode: AutonomyRules['configured']; readonly promoteAfter: number; readonly suggestAfter: number }): AutonomyRules {
  return { configured: approval.mode, promoteAfter: approval.promoteAfter, suggestAfter: approval.suggestAfter };
}

/** The autonomy after a check: an incident it opened drops the model to manual at once. */
export function afterCheck(a: AutonomyState, opened: { readonly incidentId: string } | null, at: string, rules: AutonomyRules): AutonomyState {
  if (opened === null) return a;
  return stepAutonomy(a, { type: 'incident', incidentId: opened.incidentId, at }, rules) ?? a;
}
