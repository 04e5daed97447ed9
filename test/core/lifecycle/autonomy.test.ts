import { describe, expect, it } from 'vitest';
import {
  type AutonomyEvent,
  type AutonomyRules,
  type AutonomyState,
  DEFAULT_RULES,
  INITIAL_AUTONOMY,
  type RejectionReason,
  autonomyStateSchema,
  autonomyView,
  claimOwnerNotice,
  ownerNoticeSent,
  queuedBy,
  stepAutonomy,
  inWindow,
  recurringWindow,
  suggestedThreshold,
  suggestionFor,
  windowText,
} from '../../../functions/core/lifecycle/autonomy.js';
import { modelStateSchema } from '../../../functions/core/lifecycle/types.js';

const RULES: AutonomyRules = { configured: 'manual', promoteAfter: 3, suggestAfter: 3 };
const T = Date.parse('2026-03-01T00:00:00Z');
const iso = (hours: number): string => new Date(T + hours * 3_600_000).toISOString();
const driver = (score: number) => ({ name: 'amount', test: 'wasserstein', score, threshold: 0.1 });

function approve(a: AutonomyState, id: string, hour: number, rules = RULES): AutonomyState {
  return stepAutonomy(a, { type: 'verdict', proposalId: id, outcome: 'approved', at: iso(hour) }, rules) as AutonomyState;
}

/** A model with `n` approvals in a row. */
function approvals(n: number, start: AutonomyState = INITIAL_AUTONOMY, rules = RULES): AutonomyState {
  let a = start;
  const first = start.counted.length;
  for (let i = 0; i < n; i++) a = approve(a, `p${first + i}`, first + i, rules);
  return a;
}

/** Accept whatever offer is open. */
function accept(a: AutonomyState, hour: number): AutonomyState {
  return stepAutonomy(a, { type: 'accept-offer', offerId: a.offer?.offerId ?? 'none', at: iso(hour) }, RULES) as AutonomyState;
}

describe('Function: stepAutonomy (level changes, both ways)', () => {
  const atVeto = accept(approvals(3), 10);
  const atAuto = accept(approvals(3, atVeto), 20);

  it.each<[string, AutonomyState, AutonomyEvent, { level: string | null; streak: number; offer: string | null; queued: string[] }]>([
    ['an approval below N counts, no offer', approvals(1), { type: 'verdict', proposalId: 'x', outcome: 'approved', at: iso(5) }, { level: null, streak: 2, offer: null, queued: [] }],
    ['the Nth approval offers the next level (never moves it)', approvals(2), { type: 'verdict', proposalId: 'x', outcome: 'approved', at: iso(5) }, { level: null, streak: 3, offer: 'veto', queued: ['offer'] }],
    ['accepting the offer moves up manual -> veto', approvals(3), { type: 'accept-offer', offerId: approvals(3).offer!.offerId, at: iso(6) }, { level: 'veto', streak: 0, offer: null, queued: ['level'] }],
    ['accepting a veto -> auto offer moves up to auto', approvals(3, atVeto), { type: 'accept-offer', offerId: approvals(3, atVeto).offer!.offerId, at: iso(30) }, { level: 'auto', streak: 0, offer: null, queued: ['level'] }],
    ['a rejection at veto drops to manual and says so', approvals(1, atVeto), { type: 'verdict', proposalId: 'x', outcome: 'rejected', reason: 'other', at: iso(30) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
    ['a failed retrain at auto drops to manual', atAuto, { type: 'retrain-outcome', proposalId: 'x', status: 'failed', at: iso(40) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
    ['a rolled-back retrain at veto drops to manual', atVeto, { type: 'retrain-outcome', proposalId: 'x', status: 'rolled-back', at: iso(40) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
    ['an incident at veto drops to manual', atVeto, { type: 'incident', incidentId: 'dq-1', at: iso(40) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
    ['a rejection withdraws an open offer (manual stays manual, and says so)', approvals(3), { type: 'verdict', proposalId: 'x', outcome: 'rejected', reason: 'other', at: iso(30) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
    ['an incident at manual without an offer changes nothing worth a notice', approvals(1), { type: 'incident', incidentId: 'dq-1', at: iso(40) }, { level: 'manual', streak: 0, offer: null, queued: [] }],
    ['an expiry breaks the streak, keeps the level', approvals(2, atVeto), { type: 'verdict', proposalId: 'x', outcome: 'expired', at: iso(30) }, { level: 'veto', streak: 0, offer: null, queued: [] }],
    ['the owner lowers auto -> veto', atAuto, { type: 'lower', to: 'veto', at: iso(50) }, { level: 'veto', streak: 0, offer: null, queued: ['level'] }],
    ['the owner lowers veto -> manual', atVeto, { type: 'lower', to: 'manual', at: iso(50) }, { level: 'manual', streak: 0, offer: null, queued: ['level'] }],
  ])('%s', (_case, before, event, expected) => {
    // Act
    const after = stepAutonomy(before, event, RULES);

    // Assess
    expect(after).not.toBeNull();
    const a = after as AutonomyState;
    expect({ level: a.level, streak: a.streak, offer: a.offer?.level ?? null, queued: queuedBy(before, a).map((n) => n.kind) }).toEqual(expected);
  });

  it('refuses what does not apply: a verdict counted twice, a stale or expired offer, a "lower" that would not lower, a good retrain', () => {
    // Prepare
    const offered = approvals(3);

    // Act / Assess
    expect(stepAutonomy(offered, { type: 'verdict', proposalId: 'p0', outcome: 'approved', at: iso(9) }, RULES)).toBeNull();
    expect(stepAutonomy(offered, { type: 'accept-offer', offerId: 'someone-elses', at: iso(9) }, RULES)).toBeNull();
    expect(stepAutonomy(offered, { type: 'accept-offer', offerId: offered.offer!.offerId, at: iso(24 * 15) }, RULES)).toBeNull();
    expect(stepAutonomy(offered, { type: 'lower', to: 'manual', at: iso(9) }, RULES)).toBeNull();
    expect(stepAutonomy(atVeto, { type: 'lower', to: 'auto', at: iso(9) }, RULES)).toBeNull();
    expect(stepAutonomy(atVeto, { type: 'retrain-outcome', proposalId: 'x', status: 'succeeded', at: iso(9) }, RULES)).toBeNull();
    expect(accept(approvals(3, atAuto), 90)).toBeNull();
  });

  it('starts from the configured level: a veto config is demoted explicitly, and a veto config offers auto', () => {
    // Prepare
    const veto: AutonomyRules = { ...RULES, configured: 'veto' };

    // Act
    const rejected = stepAutonomy(INITIAL_AUTONOMY, { type: 'verdict', proposalId: 'x', outcome: 'rejected', at: iso(1) }, veto) as AutonomyState;
    const offered = approvals(3, INITIAL_AUTONOMY, veto);

    // Assess
    expect(queuedBy(INITIAL_AUTONOMY, rejected)).toMatchObject([{ kind: 'level', from: 'veto', to: 'manual' }]);
    expect(offered.offer?.level).toBe('auto');
  });
});

describe('Function: stepAutonomy (verdicts that teach)', () => {
  const reject = (a: AutonomyState, id: string, reason: 'not-material' | 'expected' | 'data-bug' | 'other', score: number, name = 'amount'): AutonomyState =>
    stepAutonomy(a, { type: 'verdict', proposalId: id, outcome: 'rejected', reason, at: iso(1), driver: { ...driver(score), name } }, RULES) as AutonomyState;

  it('suggests a higher threshold after K "not material"/"expected" rejections driven by the same feature, with the verdicts', () => {
    // Act
    const two = reject(reject(INITIAL_AUTONOMY, 'r1', 'not-material', 0.15), 'r2', 'expected', 0.21);
    const three = reject(two, 'r3', 'not-material', 0.18);

    // Assess
    expect(two.suggestion).toBeNull();
    expect(three.suggestion).toMatchObject({ kind: 'threshold', feature: 'amount', test: 'wasserstein', from: 0.1, to: 0.231, verdicts: ['r1', 'r2', 'r3'], reasons: ['not-material', 'expected'], status: 'open' });
    expect(queuedBy(two, three).map((n) => n.kind)).toEqual(['suggestion']);
  });

  it('does not suggest from other reasons, other features, or rejections already used', () => {
    // Act
    const mixed = reject(reject(reject(INITIAL_AUTONOMY, 'r1', 'not-material', 0.15), 'r2', 'data-bug', 0.2), 'r3', 'other', 0.2);
    const features = reject(reject(reject(INITIAL_AUTONOMY, 'r1', 'not-material', 0.15), 'r2', 'expected', 0.2, 'country'), 'r3', 'not-material', 0.2);
    const first = reject(reject(reject(INITIAL_AUTONOMY, 'r1', 'not-material', 0.15), 'r2', 'expected', 0.2), 'r3', 'not-material', 0.2);
    const accepted = stepAutonomy(first, { type: 'accept-suggestion', suggestionId: first.suggestion!.suggestionId, version: 2, at: iso(2) }, RULES) as AutonomyState;
    const again = reject(accepted, 'r4', 'not-material', 0.3);

    // Assess
    expect(mixed.suggestion).toBeNull();
    expect(features.suggestion).toBeNull();
    expect(accepted.suggestion).toMatchObject({ status: 'accepted', acceptedVersion: 2 });
    expect(accepted.configVersion).toBe(2);
    expect(again.suggestion?.status).toBe('accepted');
    expect(stepAutonomy(accepted, { type: 'accept-suggestion', suggestionId: first.suggestion!.suggestionId, version: 3, at: iso(3) }, RULES)).toBeNull();
  });

  it.each([
    ['distance: above every rejected score', 'wasserstein', 0.1, [0.15, 0.3], 0.33],
    ['p-value: below every rejected p', 'ks', 0.05, [0.01, 0.002], 0.001],
  ])('suggestedThreshold, %s', (_case, test, from, scores, expected) => {
    // Act / Assess
    expect(suggestedThreshold(test, from, scores)).toBe(expected);
  });
});

describe('Function: autonomy in the stored state', () => {
  it('upgrades a state written before autonomy existed: as configured, nothing counted', () => {
    // Prepare
    const old = {
      schemaVersion: 1, modelId: 'fraud', reference: { version: 'v1', key: 'k', at: iso(0) }, lastRetrainAt: iso(0), checkIntervalSeconds: 3600,
      nextCheckAt: iso(1), lastCheckAt: null, consumed: [], history: [], cadence: [], forecast: null, activeProposalId: null, rejected: null, snoozedUntil: null,
    };

    // Act
    const state = modelStateSchema.parse(old);

    // Assess
    expect(state.autonomy).toEqual(INITIAL_AUTONOMY);
    expect(autonomyStateSchema.parse(JSON.parse(JSON.stringify(approvals(3))))).toEqual(approvals(3));
  });

  it('claims an owner notice once per lease and records its delivery once', () => {
    // Prepare
    const offered = approvals(3);
    const id = offered.outbox[0].noticeId;

    // Act
    const claimed = claimOwnerNotice(offered, id, iso(4), 300) as AutonomyState;
    const twice = claimOwnerNotice(claimed, id, iso(4), 300);
    const sent = ownerNoticeSent(claimed, id, 'm-1', iso(4)) as AutonomyState;

    // Assess
    expect(twice).toBeNull();
    expect(sent.outbox[0]).toMatchObject({ notice: { messageId: 'm-1' }, noticeClaim: null });
    expect(ownerNoticeSent(sent, id, 'm-2', iso(4))).toBeNull();
    expect(claimOwnerNotice(sent, id, iso(9), 300)).toBeNull();
  });

  it('says the level, the track record with reasons, and the next step', () => {
    // Prepare
    const a = stepAutonomy(approvals(2), { type: 'verdict', proposalId: 'x', outcome: 'rejected', reason: 'not-material', at: iso(5) }, RULES) as AutonomyState;

    // Act
    const view = autonomyView(approve(a, 'y', 6), RULES);
    const offered = autonomyView(approvals(3), RULES);

    // Assess
    expect(view).toEqual({
      level: 'manual',
      record: '3 approved, 1 rejected (not material 1), 0 expired',
      nextStep: '2 more approved proposal(s) in a row earn an offer of veto; any rejection, failed retrain or data-quality incident drops it to manual.',
      lowerTo: [],
    });
    expect(offered.nextStep).toMatch(/^An offer to move up to veto waits for the owner/);
  });
});

describe('Function: recurringWindow and inWindow (the exemption window rule)', () => {
  // Prepare: times (UTC) of rejected proposals -> the window they share (a field recurs: same value on ≥ 2 occurrences).
  const cases: [string, string[], ReturnType<typeof recurringWindow>][] = [
    ['one time is no recurrence', ['2026-04-06T10:05:00Z'], null],
    ['same hour on three dates', ['2026-04-06T10:05:00Z', '2026-04-07T10:40:00Z', '2026-04-08T10:59:59Z'], { hour: 10 }],
    ['same hour on one date only', ['2026-04-06T10:05:00Z', '2026-04-06T10:40:00Z', '2026-04-06T10:50:00Z'], null],
    ['same weekday and hour, three weeks', ['2026-04-06T09:00:00Z', '2026-04-13T09:30:00Z', '2026-04-20T09:10:00Z'], { weekday: 1, hour: 9 }],
    ['same weekday, different hours', ['2026-04-06T01:00:00Z', '2026-04-13T09:00:00Z', '2026-04-20T17:00:00Z'], { weekday: 1 }],
    ['same month in three years', ['2024-12-03T01:00:00Z', '2025-12-10T05:00:00Z', '2026-12-24T23:00:00Z'], { month: 12 }],
    ['same month, one year: clustered, not seasonal', ['2026-04-01T01:00:00Z', '2026-04-09T05:00:00Z', '2026-04-20T23:00:00Z'], null],
    ['nothing shared', ['2026-04-06T01:00:00Z', '2026-05-07T09:00:00Z', '2027-06-20T17:00:00Z'], null],
  ];
  it.each(cases)('%s', (_label, times, expected) => {
    // Act
    const window = recurringWindow(times);

    // Assess
    expect(window).toEqual(expected);
  });

  it('matches a time when every named field matches (UTC), and says the window in words', () => {
    // Assess
    expect(inWindow({ hour: 10 }, new Date('2026-04-09T10:30:00Z'))).toBe(true);
    expect(inWindow({ hour: 10 }, new Date('2026-04-09T11:00:00Z'))).toBe(false);
    expect(inWindow({ weekday: 1, hour: 9 }, new Date('2026-04-27T09:00:00Z'))).toBe(true);
    expect(inWindow({ weekday: 1, hour: 9 }, new Date('2026-04-28T09:00:00Z'))).toBe(false);
    expect(inWindow({ month: 12 }, new Date('2030-12-31T23:59:59Z'))).toBe(true);
    expect(windowText({ month: 12, weekday: 1, hour: 9 })).toBe('in December, on Mondays, 09:00–09:59 UTC');
  });

  it('suggests the window (not a threshold) only when every rejection was "expected or seasonal"', () => {
    // Prepare
    const driver = { name: 'amount', test: 'wasserstein', score: 0.9, threshold: 0.1 };
    const rejections = (reasons: RejectionReason[]) =>
      reasons.map((reason, i) => ({ proposalId: `p${i}`, at: `2026-04-0${6 + i}T11:00:00.000Z`, proposedAt: `2026-04-0${6 + i}T10:00:00.000Z`, reason, driver }));

    // Act
    const seasonal = suggestionFor({ ...INITIAL_AUTONOMY, rejections: rejections(['expected', 'expected', 'expected']) }, DEFAULT_RULES, '2026-04-09T00:00:00.000Z');
    const mixed = suggestionFor({ ...INITIAL_AUTONOMY, rejections: rejections(['expected', 'not-material', 'expected']) }, DEFAULT_RULES, '2026-04-09T00:00:00.000Z');

    // Assess
    expect(seasonal).toMatchObject({ kind: 'window', window: { hour: 10 }, from: 0.1, to: 0.1 });
    expect(mixed).toMatchObject({ kind: 'threshold' });
    expect(mixed?.window).toBeUndefined();
  });
});
