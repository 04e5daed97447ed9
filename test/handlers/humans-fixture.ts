import { INITIAL_AUTONOMY } from '../../functions/core/lifecycle/autonomy.js';
import type { ModelState, Proposal } from '../../functions/core/lifecycle/types.js';

/** The decision tests' model: one open manual proposal whose model has earned an offer of veto (5 approvals in a row). */
export const NOW = new Date('2026-02-01T12:00:00Z');
export const EXP = Math.floor(NOW.getTime() / 1000) + 3600;
export const OFFER = { offerId: 'offer-1', level: 'veto' as const, offeredAt: '2026-02-01T11:00:00.000Z', expiresAt: '2026-02-10T11:00:00.000Z' };

export const proposal: Proposal = {
  schemaVersion: 2,
  proposalId: 'p-1',
  modelId: 'fraud',
  createdAt: '2026-02-01T10:00:00.000Z',
  expiresAt: '2026-02-04T10:00:00.000Z',
  mode: 'manual',
  vetoWindowSeconds: 86_400,
  status: 'open',
  checkId: 'c-1',
  reportKey: 'reports/fraud/c-1.html',
  reasons: { verdict: 'drift', driftIndex: 3, triggers: ['drift'], driftedFeatures: [{ name: 'amount', score: 0.3, threshold: 0.1, test: 'wasserstein' }], forecast: null, retrainBy: null },
  fingerprint: 'amount',
  notice: { messageId: 'n-1', sentAt: '2026-02-01T10:00:01.000Z' },
  noticeClaim: null,
  decision: null,
  retrainEvent: null,
  adoptedVersion: null,
  autonomyRules: { configured: 'manual', promoteAfter: 5, suggestAfter: 3 },
};

export const state: ModelState = {
  schemaVersion: 1,
  modelId: 'fraud',
  reference: { version: 'v1', key: 'references/fraud/v1.json', at: '2026-01-01T00:00:00.000Z' },
  lastRetrainAt: '2026-01-01T00:00:00.000Z',
  checkIntervalSeconds: 3600,
  nextCheckAt: '2026-02-01T13:00:00.000Z',
  lastCheckAt: '2026-02-01T10:00:00.000Z',
  consumed: [],
  history: [],
  cadence: [],
  forecast: null,
  activeProposalId: 'p-1',
  rejected: null,
  snoozedUntil: null,
  incident: null,
  autonomy: { ...INITIAL_AUTONOMY, streak: 5, record: { approved: 5, rejected: 0, expired: 0, reasons: {} }, offer: OFFER },
};
