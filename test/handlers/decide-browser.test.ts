import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIAL_AUTONOMY } from '../../functions/core/lifecycle/autonomy.js';
import { signToken } from '../../functions/core/lifecycle/token.js';
import type { ModelState, Proposal } from '../../functions/core/lifecycle/types.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { type FunctionUrlServer, startFunctionUrlServer } from '../e2e/harness.js';
import { launchBrowser } from '../support/browser.js';
import { type LocalWorld, localWorld, quietTelemetry } from './support.js';

const NOW = new Date('2026-02-01T12:00:00Z');
const EXP = Math.floor(NOW.getTime() / 1000) + 3600;
const OFFER = { offerId: 'offer-1', level: 'veto' as const, offeredAt: '2026-02-01T11:00:00.000Z', expiresAt: '2026-02-10T11:00:00.000Z' };

const proposal: Proposal = {
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

const state: ModelState = {
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

describe('Function: the reject page in headless Chromium (a real HTTP server on 127.0.0.1)', () => {
  let world: LocalWorld;
  let server: FunctionUrlServer;
  let browser: Browser;

  beforeAll(async () => {
    world = localWorld();
    await world.lifecycle.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' });
    await world.store.put('proposals/fraud/p-1.json', JSON.stringify(proposal));
    await world.store.put('state/fraud.json', JSON.stringify(state));
    server = await startFunctionUrlServer(makeDecideHandler({ decisions: world.lifecycle, telemetry: quietTelemetry('decide-browser-test'), clock: () => NOW }));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    world?.cleanup();
  });

  it('will not post a rejection without a reason; with one chosen and a sentence typed, the decision log has both', async () => {
    // Prepare
    const token = signToken({ proposalId: 'p-1', modelId: 'fraud', action: 'reject', exp: EXP, nonce: 'nonce-browser-1' }, world.secret);
    const page = await browser.newPage();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.goto(`${server.url}/decide?token=${token}`, { waitUntil: 'load' });

    // Act: submit without a reason (the browser refuses: the choice is required), then choose and type.
    await page.click('button.reject');
    const statusBefore = (await world.lifecycle.proposal('fraud', 'p-1'))?.status;
    const postsBefore = posts.length;
    await page.check('input[name="reasonKind"][value="expected"]');
    await page.fill('input[name="reason"]', 'Black Friday: we see this <every> year');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button.reject')]);
    const result = await page.textContent('#result');

    // Assess
    expect(postsBefore).toBe(0);
    expect(statusBefore).toBe('open');
    expect(result).toContain('Done: you chose to reject retraining');
    const entry = (await world.lifecycle.decisionLog('fraud')).find((e) => e.action === 'reject');
    expect(entry?.evidence).toMatchObject({ reasonKind: 'expected', reason: 'Black Friday: we see this <every> year' });
    expect((await world.lifecycle.proposal('fraud', 'p-1'))?.decision).toMatchObject({ reasonKind: 'expected' });
    await page.close();
  });
});
