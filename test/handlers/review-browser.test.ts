import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewKey } from '../../functions/core/lifecycle/keys.js';
import type { ReviewDoc } from '../../functions/core/lifecycle/review.js';
import { signToken } from '../../functions/core/lifecycle/token.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { type FunctionUrlServer, startFunctionUrlServer } from '../e2e/harness.js';
import { launchBrowser } from '../support/browser.js';
import { type LocalWorld, localWorld, quietTelemetry } from './support.js';

const NOW = new Date('2026-05-02T12:00:00Z');
const EXP = Math.floor(Date.parse('2026-05-09T00:00:00Z') / 1000);
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'">';

/** A round of three rows, one of them hostile; its level of 1 means no proposal can open (this test is about the page). */
const doc: ReviewDoc = {
  schemaVersion: 1,
  modelId: 'fraud',
  past: [],
  round: {
    reviewId: 'r-browser',
    createdAt: '2026-05-02T00:00:00.000Z',
    expiresAt: '2026-05-05T00:00:00.000Z',
    linkExpiresAt: '2026-05-09T00:00:00.000Z',
    referenceVersion: 'v1',
    checkId: 'c-1',
    rows: [
      { index: 0, source: 'batches/fraud/a.parquet', row: 7, values: { amount: 250.5, country: HOSTILE }, pick: 'shifted', feature: 'amount', why: 'amount 200 or more: 30% of current rows, 2% of the reference' },
      { index: 1, source: 'batches/fraud/a.parquet', row: 9, values: { amount: 101, country: 'US' }, pick: 'shifted', feature: 'country', why: `country "${HOSTILE}": 20% of current rows, 0% of the reference` },
      { index: 2, source: 'batches/fraud/b.parquet', row: 1, values: { amount: 99, country: null }, pick: 'typical', why: 'typical: each value is about as common now as in the reference (largest change of a share: 1%)' },
    ],
    status: 'open',
    reminders: 2,
    wrongShare: 1,
    proposal: { ttlSeconds: 259_200, vetoWindowSeconds: 86_400, autonomyRules: { configured: 'manual', promoteAfter: 5, suggestAfter: 3 } },
    notices: [],
    noticeClaim: null,
    verdicts: null,
  },
};

describe('Function: the review page in headless Chromium (a real HTTP server on 127.0.0.1)', () => {
  let world: LocalWorld;
  let server: FunctionUrlServer;
  let browser: Browser;

  beforeAll(async () => {
    world = localWorld();
    await world.store.put(reviewKey('fraud'), JSON.stringify(doc));
    server = await startFunctionUrlServer(makeDecideHandler({ decisions: world.lifecycle, telemetry: quietTelemetry('review-browser-test'), clock: () => NOW }));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    world?.cleanup();
  });

  it('shows the rows escaped with why each was picked, will not post until every row is marked, records the verdicts once', async () => {
    // Prepare
    const token = signToken({ proposalId: 'r-browser', modelId: 'fraud', action: 'review', exp: EXP, nonce: 'nonce-review-browser' }, world.secret);
    const page = await browser.newPage();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    const shown = await page.goto(`${server.url}/decide?token=${token}`, { waitUntil: 'load' });
    const logBefore = (await world.lifecycle.decisionLog('fraud')).length;

    // Act: submit with nothing marked (the browser refuses: each row's choice is required), then fill it in.
    await page.click('button[type="submit"]');
    const postsBefore = posts.length;
    await page.check('input[name="v0"][value="wrong"]');
    await page.fill('input[name="c0"]', 'a country named <img>? broken feed');
    await page.check('input[name="v1"][value="right"]');
    await page.check('input[name="v2"][value="unsure"]');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type="submit"]')]);
    const result = await page.textContent('#result');
    const again = await page.goto(`${server.url}/decide?token=${token}`, { waitUntil: 'load' });
    const againText = await page.textContent('#error');

    // Assess: the page
    expect(shown?.status()).toBe(200);
    expect(await page.title()).not.toBe('pwned');
    expect(postsBefore).toBe(0);
    expect(logBefore).toBe(0);
    // The verdicts
    expect(result).toContain('Recorded: 1 looks right, 1 looks wrong, 1 not sure.');
    const entry = (await world.lifecycle.decisionLog('fraud')).find((e) => e.action === 'review-verdicts');
    expect(entry?.evidence).toMatchObject({
      reviewId: 'r-browser',
      tally: { right: 1, wrong: 1, unsure: 1, wrongShare: 0.5 },
      rows: [
        { index: 0, verdict: 'wrong', comment: 'a country named <img>? broken feed', why: 'amount 200 or more: 30% of current rows, 2% of the reference' },
        { index: 1, verdict: 'right' },
        { index: 2, verdict: 'unsure' },
      ],
    });
    expect(again?.status()).toBe(409);
    expect(againText).toContain('already answered');
    await page.close();
  });

  it('renders every sampled value and reason as text, never as markup', async () => {
    // Prepare
    const fresh = { ...doc, round: { ...(doc.round as NonNullable<ReviewDoc['round']>), reviewId: 'r-browser-2' } };
    await world.store.put(reviewKey('fraud'), JSON.stringify(fresh));
    const token = signToken({ proposalId: 'r-browser-2', modelId: 'fraud', action: 'review', exp: EXP, nonce: 'nonce-review-browser-2' }, world.secret);
    const page = await browser.newPage();

    // Act
    await page.goto(`${server.url}/decide?token=${token}`, { waitUntil: 'load' });
    const images = await page.$$('img');
    const firstRow = await page.textContent('fieldset[data-row="0"]');
    const secondWhy = await page.textContent('fieldset[data-row="1"] .why');
    const picks = await page.$$eval('fieldset[data-row]', (els) => els.map((el) => el.getAttribute('data-pick')));

    // Assess
    expect(images).toHaveLength(0);
    expect(firstRow).toContain(HOSTILE);
    expect(firstRow).toContain('From batches/fraud/a.parquet, row 8');
    expect(secondWhy).toContain(`country "${HOSTILE}"`);
    expect(picks).toEqual(['shifted', 'shifted', 'typical']);
    await page.close();
  });
});
