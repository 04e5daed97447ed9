import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import type { RunningServer } from '../../functions/adapters/http-server.js';
import { openLocalProduct, startLocalServer, type LocalProduct } from '../../functions/cli/local-product.js';
import { launchBrowser } from '../support/browser.js';
import { repoRoot } from '../support/moto.js';
import { driftingStore, on, onlyNotice, pyarrowBatches, type NoticeLinks } from './local-support.js';

// Headless Chromium opens a notice's approve link on the real local server, confirms on the page, and the
// store's events file then holds exactly one RetrainRequested.

let batches: string;
let store: string;
let local: LocalProduct;
let server: RunningServer;
let browser: Browser;
let notice: NoticeLinks;

beforeAll(async () => {
  batches = await pyarrowBatches();
  ({ store } = await driftingStore(batches));
  notice = await onlyNotice(store);
  local = await openLocalProduct({ dir: store });
  server = await startLocalServer(local, { host: '127.0.0.1', port: 0, logLevel: 'SILENT' });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(path.dirname(store), { recursive: true, force: true });
  await rm(batches, { recursive: true, force: true });
});

describe('a person approves from the notice in a browser', () => {
  it('the link shows the evidence and a confirm button; only the click requests the retrain, once', async () => {
    // Prepare
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });

    // Act: open the link (a GET: nothing is decided yet).
    await page.goto(on(server.url, notice.approve));
    const heading = await page.locator('h1').textContent();
    const eventsAfterOpen = await readEventFile(local.eventsFile);
    await page.getByRole('button', { name: 'Approve retraining' }).click();
    await page.waitForLoadState('load');
    const result = await page.locator('main').textContent();
    await page.goBack();
    await page.reload();
    const reopened = await page.locator('main').textContent();

    // Assess
    expect(heading).toContain('Retraining proposal for fraud');
    expect(eventsAfterOpen).toEqual([]);
    expect(result).toContain('The retrain request was sent');
    expect(reopened).toContain('already used');
    const events = await readEventFile(local.eventsFile);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ type: 'RetrainRequested', modelId: 'fraud', reason: 'approved' });
    expect(blocked).toEqual([]);
  });

  it('the index page renders the model with its history plot and no decision link', async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });

    // Act
    await page.goto(`${server.url}/`);
    const decideLinks = await page.locator('a[href*="/decide"]').count();
    const formCount = await page.locator('form').count();
    const charts = await page.locator('section.model svg').count();
    const reportHref = await page.locator('table.checks a').first().getAttribute('href');
    await mkdir(path.join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(repoRoot, 'test-artifacts', 'local-index.png'), fullPage: true });
    await page.goto(`${server.url}${reportHref ?? ''}`);
    const report = await page.locator('h1').first().textContent();

    // Assess
    expect(decideLinks).toBe(0);
    expect(formCount).toBe(0);
    expect(charts).toBeGreaterThanOrEqual(1);
    expect(reportHref).toMatch(/^\/report\?key=/);
    expect(report).toContain('fraud');
  });
});
