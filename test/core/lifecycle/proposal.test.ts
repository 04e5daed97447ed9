import { describe, expect, it } from 'vitest';
import {
  CLAIM_LEASE_SECONDS,
  type ProposalEvent,
  blocksNewProposal,
  releaseMissing,
  retrainEventOf,
  settleState,
  transition,
} from '../../../functions/core/lifecycle/proposal.js';
import { type ModelState, type Proposal, proposalSchema } from '../../../functions/core/lifecycle/types.js';

const T = Date.parse('2026-03-01T00:00:00Z');
const iso = (minutes: number): string => new Date(T + minutes * 60_000).toISOString();

function proposal(extra: Partial<Proposal> = {}): Proposal {
  return {
    schemaVersion: 2,
    proposalId: 'p1',
    modelId: 'fraud',
    createdAt: iso(0),
    expiresAt: iso(60 * 72),
    mode: 'manual',
    vetoWindowSeconds: 86_400,
    status: 'open',
    checkId: 'c1',
    reportKey: 'reports/fraud/c1.html',
    reasons: { verdict: 'drift', driftIndex: 2, triggers: ['drift'], driftedFeatures: [{ name: 'amount', score: 0.3, threshold: 0.1 }], forecast: null, retrainBy: null },
    fingerprint: 'amount',
    notice: null,
    noticeClaim: null,
    decision: null,
    retrainEvent: null,
    adoptedVersion: null,
    ...extra,
  };
}

const approve = (at: string): ProposalEvent => ({ type: 'decide', action: 'approve', at, actor: 'alice', tokenId: 't1' });
const delivered = { notice: { messageId: 'n1', sentAt: iso(1) } };
const approved = proposal({ status: 'approved', decision: { action: 'approve', at: iso(5), actor: 'alice', tokenId: 't1' }, retrainEvent: { eventId: 'retrain-p1', claimedAt: iso(5), messageId: null, at: null } });

describe('Function: transition', () => {
  it.each<[string, Proposal, ProposalEvent, Partial<Proposal> | null]>([
    ['approve an open proposal: approved, with the retrain claimed in the same write', proposal(), approve(iso(5)), { status: 'approved', retrainEvent: { eventId: 'retrain-p1', claimedAt: iso(5), messageId: null, at: null } }],
    ['reject an open proposal', proposal(), { type: 'decide', action: 'reject', at: iso(5), actor: 'bob', tokenId: 't2' }, { status: 'rejected', retrainEvent: null }],
    ['snooze records until when', proposal(), { type: 'decide', action: 'snooze', at: iso(5), actor: 'bob', tokenId: 't3', snoozeUntil: iso(600) }, { status: 'snoozed' }],
    ['a decision after the expiry loses to it', proposal(), approve(iso(60 * 72)), null],
    ['a second decision of a decided proposal', approved, { type: 'decide', action: 'reject', at: iso(6), actor: 'bob', tokenId: 't2' }, null],
    ['expire before the expiry time', proposal(), { type: 'expire', at: iso(60 * 72 - 1) }, null],
    ['expire at the expiry time', proposal(), { type: 'expire', at: iso(60 * 72) }, { status: 'expired' }],
    ['expire an approved proposal', approved, { type: 'expire', at: iso(60 * 100) }, null],
    ['veto without a delivered notice', proposal({ mode: 'veto' }), { type: 'veto-window-elapsed', at: iso(60 * 48) }, null],
    ['veto before the window', proposal({ mode: 'veto', ...delivered }), { type: 'veto-window-elapsed', at: iso(60 * 24) }, null],
    ['veto after the window', proposal({ mode: 'veto', ...delivered }), { type: 'veto-window-elapsed', at: iso(60 * 24 + 1) }, { status: 'approved', retrainEvent: { eventId: 'retrain-p1', claimedAt: iso(60 * 24 + 1), messageId: null, at: null } }],
    ['veto of a manual proposal', proposal(delivered), { type: 'veto-window-elapsed', at: iso(60 * 48) }, null],
    ['adopt an approved proposal', approved, { type: 'adopt', version: 'v2' }, { status: 'adopted', adoptedVersion: 'v2' }],
    ['adopt a rejected proposal', proposal({ status: 'rejected' }), { type: 'adopt', version: 'v2' }, null],
    ['claim the notice of an open proposal', proposal(), { type: 'claim-notice', at: iso(1) }, { noticeClaim: { at: iso(1) } }],
    ['claim a notice already claimed, within the lease', proposal({ noticeClaim: { at: iso(1) } }), { type: 'claim-notice', at: iso(2) }, null],
    ['claim a notice whose claim lapsed', proposal({ noticeClaim: { at: iso(1) } }), { type: 'claim-notice', at: iso(1 + CLAIM_LEASE_SECONDS / 60) }, { noticeClaim: { at: iso(1 + CLAIM_LEASE_SECONDS / 60) } }],
    ['claim a delivered notice', proposal(delivered), { type: 'claim-notice', at: iso(30) }, null],
    ['record the delivery', proposal({ noticeClaim: { at: iso(1) } }), { type: 'notice-sent', at: iso(1), messageId: 'n1' }, { notice: { messageId: 'n1', sentAt: iso(1) }, noticeClaim: null }],
    ['claim the retrain while the approver holds it', approved, { type: 'claim-retrain', at: iso(6) }, null],
    ['claim the retrain after the lease', approved, { type: 'claim-retrain', at: iso(5 + CLAIM_LEASE_SECONDS / 60) }, { retrainEvent: { eventId: 'retrain-p1', claimedAt: iso(5 + CLAIM_LEASE_SECONDS / 60), messageId: null, at: null } }],
    ['claim the retrain of an open proposal', proposal(), { type: 'claim-retrain', at: iso(6) }, null],
    ['record the publish', approved, { type: 'retrain-published', at: iso(5), messageId: 'm1' }, { retrainEvent: { eventId: 'retrain-p1', claimedAt: null, messageId: 'm1', at: iso(5) } }],
    ['record a second publish', proposal({ ...approved, retrainEvent: { eventId: 'retrain-p1', claimedAt: null, messageId: 'm1', at: iso(5) } }), { type: 'retrain-published', at: iso(9), messageId: 'm2' }, null],
    ['a failed publish keeps its claim until the lease ends', approved, { type: 'retrain-failed', at: iso(5), error: 'down' }, { retrainEvent: { eventId: 'retrain-p1', claimedAt: iso(5), messageId: null, at: null, error: 'down' } }],
  ])('%s', (_case, before, event, expected) => {
    // Act
    const after = transition(before, event);

    // Assess
    if (expected === null) expect(after).toBeNull();
    else expect(after).toMatchObject(expected);
  });
});

describe('Function: blocksNewProposal', () => {
  const state = { activeProposalId: 'p1' };
  it.each<[string, Pick<ModelState, 'activeProposalId'>, Proposal | undefined, number, boolean]>([
    ['no active proposal', { activeProposalId: null }, undefined, 0, false],
    ['open', state, proposal(), 10, true],
    ['active id whose document is still being written', state, undefined, 10, true],
    ['approved, awaiting adoption within the TTL', state, approved, 60 * 71, true],
    ['approved, past the TTL since approval', state, approved, 60 * 78, false],
    ['rejected', state, proposal({ status: 'rejected' }), 10, false],
    ['expired', state, proposal({ status: 'expired' }), 10, false],
  ])('%s', (_case, s, active, minutes, blocks) => {
    // Act / Assess
    expect(blocksNewProposal(s, active, new Date(T + minutes * 60_000), 72 * 3600)).toBe(blocks);
  });
});

describe('Function: settleState and releaseMissing', () => {
  const base = { activeProposalId: 'p1', rejected: null, snoozedUntil: null, lastCheckAt: iso(0) } as unknown as ModelState;

  it('a rejection releases the slot and remembers its evidence; a snooze releases and holds back; open changes nothing', () => {
    // Act
    const rejected = settleState(base, proposal({ status: 'rejected', decision: { action: 'reject', at: iso(5), actor: 'bob' } }));
    const snoozed = settleState(base, proposal({ status: 'snoozed', decision: { action: 'snooze', at: iso(5), actor: 'bob', snoozeUntil: iso(900) } }));

    // Assess
    expect(rejected).toMatchObject({ activeProposalId: null, rejected: { fingerprint: 'amount', driftIndex: 2, at: iso(5) } });
    expect(snoozed).toMatchObject({ activeProposalId: null, snoozedUntil: iso(900) });
    expect(settleState(base, proposal())).toBeNull();
    expect(settleState({ ...base, activeProposalId: 'other' }, proposal({ status: 'rejected' }))).toBeNull();
  });

  it('lets go of a proposal whose document never appeared only after the claim lease', () => {
    // Act / Assess
    expect(releaseMissing(base, new Date(T + 60_000))).toBeNull();
    expect(releaseMissing(base, new Date(T + CLAIM_LEASE_SECONDS * 1000))).toMatchObject({ activeProposalId: null });
  });
});

describe('Function: proposalSchema (stored documents)', () => {
  it('upgrades a version 1 proposal: no notice claim, a published event gets its stable id', () => {
    // Prepare
    const { noticeClaim: _c, retrainEvent: _r, ...rest } = approved;
    const v1 = { ...rest, schemaVersion: 1, retrainEvent: { messageId: 'm1', at: iso(6) } };

    // Act
    const parsed = proposalSchema.parse(v1);

    // Assess
    expect(parsed).toMatchObject({ schemaVersion: 2, noticeClaim: null, retrainEvent: { eventId: 'retrain-p1', messageId: 'm1', at: iso(6), claimedAt: null } });
  });

  it('builds the retrain event with the stable id and the decider', () => {
    // Act
    const event = retrainEventOf(approved, iso(5));

    // Assess
    expect(event).toMatchObject({ type: 'RetrainRequested', eventId: 'retrain-p1', proposalId: 'p1', reason: 'approved', decidedBy: 'alice' });
  });
});
