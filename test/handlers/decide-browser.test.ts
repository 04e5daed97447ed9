import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../functions/core/lifecycle/token.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { type FunctionUrlServer, startFunctionUrlServer } from '../e2e/harness.js';
import { launchBrowser } from '../support/browser.js';
import { EXP, NOW, proposal, state } from './humans-fixture.js';
import { type LocalWorld, localWorld, quietTelemetry } from './support.js';

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
