import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftResult } from '../../../functions/core/drift/types.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import type { ReportInput } from '../../../functions/core/report/types.js';
import { launchBrowser } from '../../support/browser.js';
import { reportInputFixture } from './fixture.js';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/** The fixture report with a feature whose name has no break opportunity, and named inputs: the hardest case for a phone. */
function phoneReport(): ReportInput {
  const long = `merchant_category_code_${'x'.repeat(80)}`;
  const [first, ...rest] = reportInputFixture.result.features;
  const result = {
    ...reportInputFixture.result,
    features: [{ ...first, name: long }, ...rest],
    inputs: { reference: { sources: ['training/fraud/2026-11/part-00000-of-00012.parquet', 'training/fraud/2026-11/part-00001-of-00012.parquet', 'training/fraud/2026-11/part-00002-of-00012.parquet'], count: 12 }, current: { sources: ['batches/fraud/2026-12-01T10-00.parquet'], count: 1 } },
    // A slice table too, with a slice value and a feature name that have no break opportunity.
    slices: [
      { value: `region_${'y'.repeat(70)}`, share: 0.62, alarm: true, drifted: [{ name: long, test: 'wasserstein', score: 2.16, threshold: 0.194, explanation: 'moved' }] },
      { value: 'DE', share: 0.3, alarm: false, drifted: [] },
      { value: 'other', share: 0.08, alarm: false, drifted: [], isOther: true, status: 'insufficient-data' as const },
    ].map((s) => ({ column: 'country', isOther: false, status: 'ok' as const, rows: { reference: 4000, current: 400 }, action: s.alarm ? ('drift' as const) : ('none' as const), severity: 3, weighted: 3, pValue: 0.001, qValue: 0.01, level: 0.05, ...s })),
  } as DriftResult;
  return { ...reportInputFixture, result };
}

describe('Browser: the drift report on a phone (390 px wide)', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Arrange: the report opened from file:// at an iPhone-class width
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = `${ARTIFACTS}report-390.html`;
    writeFileSync(file, renderHtmlReport(phoneReport()));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('has no horizontal overflow of the page', async () => {
    // Act
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));

    // Assess
    expect(clientWidth).toBe(390);
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  });

  it('keeps every element other than a table inside the viewport, and hides the secondary columns', async () => {
    // Act: elements whose right edge passes the viewport, outside the tables' own scroll boxes
    const outside = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter((el) => !el.closest('.table-wrap'))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el) => `${el.tagName}.${el.className}`),
    );
    const optional = await page.evaluate(() => Array.from(document.querySelectorAll('table.ranking .opt')).filter((el) => (el as HTMLElement).offsetWidth > 0).length);

    // Assess
    expect(outside).toEqual([]);
    expect(optional).toBe(0);
  });

  it('fits the slice table in the width: long values wrap, nothing scrolls sideways', async () => {
    // Act
    const box = await page.evaluate(() => {
      const wrap = document.querySelector('#slices .table-wrap') as HTMLElement | null;
      const table = wrap?.querySelector('table.slices') as HTMLElement | null;
      return wrap === null || table === null ? null : { right: wrap.getBoundingClientRect().right, wrapWidth: wrap.clientWidth, tableWidth: table.scrollWidth, rows: table.querySelectorAll('tbody tr').length };
    });

    // Assess
    expect(box).not.toBeNull();
    expect(box?.rows).toBe(3);
    expect(box?.right ?? Infinity).toBeLessThanOrEqual(390.5);
    expect(box?.tableWidth ?? Infinity).toBeLessThanOrEqual((box?.wrapWidth ?? 0) + 0.5);
  });

  it('shows one plain verdict sentence with the rule folded away', async () => {
    // Act
    const reason = await page.locator('#action-reason').innerText();
    const ruleOpen = await page.locator('details#rule').evaluate((el) => (el as HTMLDetailsElement).open);
    const ruleVisible = await page.getByText('How this was decided').isVisible();

    // Assess
    expect(reason.length).toBeGreaterThan(10);
    expect(reason.split(/(?<=[.;])\s/).length).toBeLessThanOrEqual(2);
    expect(ruleOpen).toBe(false);
    expect(ruleVisible).toBe(true);
  });

  it('names the reference and current inputs with their row counts', async () => {
    // Act
    const text = await page.locator('#inputs').innerText();

    // Assess
    expect(text).toMatch(/^Reference: part-00000-of-00012\.parquet, part-00001-of-00012\.parquet, part-00002-of-00012\.parquet and 9 more \(\d+ rows\) · Current: 2026-12-01T10-00\.parquet \(\d+ rows\)$/);
  });

  it('draws a small reference/current distribution in every ranked row', async () => {
    // Act
    const cells = await page.evaluate(() =>
      Array.from(document.querySelectorAll('table.ranking tbody tr')).map((tr) => {
        const svg = tr.querySelector('td.dist svg.mini');
        return svg === null ? 0 : svg.querySelectorAll('rect, path').length;
      }),
    );

    // Assess
    expect(cells.length).toBe(reportInputFixture.result.features.length);
    expect(cells.every((n) => n >= 2)).toBe(true);
  });
});
