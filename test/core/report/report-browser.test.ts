import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDecisionPage, renderDecisionResult } from '../../../functions/core/report/decision-page.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { REPORT_CSP } from '../../../functions/core/report/page.js';
import { rankFeatures } from '../../../functions/core/drift/rank.js';
import { launchBrowser } from '../../support/browser.js';
import { decisionInputFixture, reportInputFixture, SCRIPT_CATEGORY } from './fixture.js';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

interface PageWatch {
  /** Every request the page attempted, except the page itself and data: URLs. */
  readonly outside: string[];
  /** Console messages about CSP violations. */
  readonly cspViolations: string[];
}

/** Record every request and abort any that is not the page itself, so nothing can leave the machine. */
async function watch(page: Page, allowed: (url: string) => boolean): Promise<PageWatch> {
  const outside: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!allowed(url) && !url.startsWith('data:')) outside.push(url);
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.route('**/*', (route) => (allowed(route.request().url()) ? route.continue() : route.abort()));
  return { outside, cspViolations };
}

describe('Browser: the drift report', () => {
  let browser: Browser;
  let page: Page;
  let watched: PageWatch;
  const html = renderHtmlReport(reportInputFixture);

  beforeAll(async () => {
    // Prepare: write the page as the CLI would and open it from file://, like a downloaded report
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = `${ARTIFACTS}report.html`;
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    watched = await watch(page, (u) => u === url);
    await page.goto(url, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws marks of non-zero size in every feature plot', async () => {
    // Act: count data marks per feature section, by their rendered size
    const drawn = await page.evaluate(() =>
      Array.from(document.querySelectorAll('section.feature')).map((section) => ({
        name: section.querySelector('.feature-name')?.textContent ?? '',
        marks: Array.from(section.querySelectorAll('svg .mark')).filter((el) => {
          const box = (el as SVGGraphicsElement).getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        }).length,
      })),
    );

    // Assess: numeric = one bar per non-empty reference bin + the current step line; categorical = one bar per non-zero share
    const expected = rankFeatures(reportInputFixture.result.features).map((f) => ({
      name: f.name,
      marks:
        f.kind === 'numeric'
          ? f.bins.reference.filter((c) => c > 0).length + 1
          : f.categories.filter((c) => c.reference > 0).length + f.categories.filter((c) => c.current > 0).length,
    }));
    expect(drawn).toEqual(expected);
    expect(drawn.every((d) => d.marks > 0)).toBe(true);
  });

  it('draws the history line, a marker per check, the threshold and the forecast', async () => {
    // Act
    const history = await page.evaluate(() => {
      const svg = document.querySelector('#history-plot');
      const size = (sel: string): number[] =>
        Array.from(svg?.querySelectorAll(sel) ?? []).map((el) => {
          const b = el.getBoundingClientRect();
          return Math.round(b.width + b.height);
        });
      return { points: size('.point'), line: size('polyline.mark'), threshold: size('.threshold'), forecast: size('.forecast') };
    });

    // Assess
    expect(history.points).toHaveLength(reportInputFixture.history.length);
    expect(history.points.every((s) => s > 0)).toBe(true);
    expect(history.line[0]).toBeGreaterThan(100);
    expect(history.threshold[0]).toBeGreaterThan(100);
    expect(history.forecast[0]).toBeGreaterThan(0);
  });

  it('requests nothing outside the page and triggers no CSP violation', () => {
    // Assess
    expect(watched.outside).toEqual([]);
    expect(watched.cspViolations).toEqual([]);
  });

  it('shows the verdict and the features in ranked order', async () => {
    // Act
    const verdict = await page.locator('#verdict').innerText();
    const tableOrder = await page.locator('#ranking tbody tr td:nth-child(2)').allInnerTexts();
    const sectionOrder = await page.locator('section.feature .feature-name').allInnerTexts();

    // Assess
    expect(verdict).toContain('DRIFT');
    expect(verdict).toContain("4 of 12 features drifted (1 with too little data); 'delay' moved +14.9 at the median");
    const expected = ['delay', 'carrier', 'fare', 'wind_speed', 'origin', 'temperature', 'passengers', 'humidity', 'distance', 'dep_hour', 'payment_type', 'promo_code'];
    expect(tableOrder).toEqual(expected);
    expect(sectionOrder).toEqual(expected);
  });

  it('shows a <script>-named category as text and never runs it', async () => {
    // Act
    const state = await page.evaluate(() => ({
      pwned: (window as unknown as { __driftgatePwned?: unknown }).__driftgatePwned,
      scripts: document.querySelectorAll('script').length,
      text: document.body.innerText,
    }));

    // Assess
    expect(state.pwned).toBeUndefined();
    expect(state.scripts).toBe(0);
    expect(state.text).toContain(SCRIPT_CATEGORY);
  });

  it('does not run the payload even without the CSP: escaping alone holds', async () => {
    // Prepare: strip the CSP so only escaping stands between the payload and the page
    const bare = html.replace(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`, '');
    expect(bare).not.toContain('Content-Security-Policy');
    const other = await browser.newPage();

    // Act
    await other.setContent(bare);
    const pwned = await other.evaluate(() => (window as unknown as { __driftgatePwned?: unknown }).__driftgatePwned);
    const carrierText = await other.locator('#feature-2').innerText();
    await other.close();

    // Assess
    expect(pwned).toBeUndefined();
    expect(carrierText).toContain(SCRIPT_CATEGORY);
  });

  it('saves a full-page screenshot as a test artifact', async () => {
    // Act
    const png = await page.screenshot({ path: `${ARTIFACTS}report.png`, fullPage: true });

    // Assess: a PNG taller than the viewport (the whole report was captured)
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(20)).toBeGreaterThan(900);
  });
});

describe('Browser: the decision pages', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('posts the hidden token back to its own URL when the button is pressed', async () => {
    // Prepare: serve the decision URL from the test (GET -> confirmation page, POST -> result page)
    const page = await browser.newPage();
    const origin = 'https://decide.example.com';
    const posts: { url: string; body: string }[] = [];
    const watched = await watch(page, (u) => u.startsWith(`${origin}/`));
    await page.route(`${origin}/**`, async (route) => {
      const request = route.request();
      if (request.method() === 'POST') {
        posts.push({ url: request.url(), body: request.postData() ?? '' });
        await route.fulfill({
          contentType: 'text/html; charset=utf-8',
          body: renderDecisionResult({ modelId: 'flight-delay-v3', proposalId: 'prop-7f3a', action: 'approve', outcome: 'done', decidedAt: '2026-11-26T07:00:00Z' }),
        });
        return;
      }
      await route.fulfill({ contentType: 'text/html; charset=utf-8', body: renderDecisionPage(decisionInputFixture) });
    });

    // Act
    await page.goto(`${origin}/d?t=abc`);
    const evidence = await page.locator('#evidence').innerText();
    await page.screenshot({ path: `${ARTIFACTS}decision.png`, fullPage: true });
    await Promise.all([page.waitForURL(`${origin}/d?t=abc`, { waitUntil: 'load' }), page.getByRole('button', { name: 'Approve retraining' }).click()]);
    const result = await page.locator('#result').innerText();
    const pwned = await page.evaluate(() => (window as unknown as { __driftgatePwned?: unknown }).__driftgatePwned);
    await page.close();

    // Assess
    expect(evidence).toContain("4 of 12 features drifted; 'delay' moved +14.9 at the median");
    expect(evidence).toContain('<b>carrier</b>');
    expect(posts).toHaveLength(1);
    expect(posts[0].url).toBe(`${origin}/d?t=abc`);
    expect(new URLSearchParams(posts[0].body).get('token')).toBe(decisionInputFixture.token);
    expect(new URLSearchParams(posts[0].body).get('action')).toBe('approve');
    expect(result).toContain('Done: you chose to approve retraining');
    expect(pwned).toBeUndefined();
    expect(watched.outside).toEqual([]);
    expect(watched.cspViolations).toEqual([]);
  });
});
