import { describe, expect, it } from 'vitest';
import { renderDriftText } from '../../../functions/cli/format.js';
import type { DriftResult, FeatureDrift } from '../../../functions/core/drift/types.js';
import { formatIsoMs } from '../../../functions/core/format.js';
import { renderDecisionPage, renderDecisionResult } from '../../../functions/core/report/decision-page.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { renderNotice } from '../../../functions/core/report/notice.js';
import { parseReportJson, renderReportJson } from '../../../functions/core/report/report-json.js';
import { histogramChart, historyChart, niceTicks } from '../../../functions/core/report/svg.js';
import type { ReportInput } from '../../../functions/core/report/types.js';
import { decisionInputFixture, driftResultFixture, noticeInputFixture, reportInputFixture } from './fixture.js';

/**
 * One bad date must not halt a model: times beyond JavaScript's Date (±8.64e15 ms; Arrow date32 reaches
 * 2^31-1 days, year 5881580), NaN and ±Infinity in every number and extreme magnitudes render through every
 * output without throwing (they used to throw `RangeError: Invalid time value` on every later check).
 */

const DAY_MS = 86_400_000;
const DATE_LIMIT = 8.64e15;
const DATE32_MAX = (2 ** 31 - 1) * DAY_MS;
const DATE32_MIN = -(2 ** 31) * DAY_MS;
const WILD = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, 5e-324] as const;

/** The fixture result with out-of-range time ranges and non-finite or extreme numbers everywhere. */
function extremeResult(): DriftResult {
  const w = (i: number): number => WILD[i % WILD.length];
  const features = driftResultFixture.features.map((f, i): FeatureDrift => {
    const common = { score: w(i), threshold: w(i + 1), severity: w(i + 2), nullShare: { reference: w(i + 3), current: w(i + 4) }, count: { reference: w(i), current: w(i + 5) } };
    if (f.kind === 'numeric') {
      return {
        ...f,
        ...common,
        metrics: { ksStat: w(i), ksPValue: w(i + 1), wassersteinNorm: w(i + 2), psi: w(i + 3), jsDistance: w(i + 4) },
        outOfRangeShare: w(i + 5),
        range: { reference: [w(i), w(i + 1)], current: [DATE32_MIN, DATE32_MAX] },
        quantiles: f.quantiles.map((q, j) => ({ p: q.p, reference: w(i + j), current: w(i + j + 1) })),
        // Edges a hair apart at 1e16 (one ulp is 2): the tick loop used to stall here.
        bins: i % 2 === 0 ? { edges: [1e16, 1e16 + 2, 1e16 + 4], reference: [1, 2, 3, 4], current: [4, 3, 2, 1] } : { edges: [-1e308, 1e308], reference: [w(i), 1, 1], current: [1, w(i + 1), 1] },
        mean: { reference: w(i), current: w(i + 1) },
      };
    }
    return { ...f, ...common, metrics: { jsDistance: w(i), psi: w(i + 1), chi2PValue: w(i + 2), unseenShare: w(i + 3) }, categories: f.categories.map((c, j) => ({ ...c, reference: w(j), current: w(j + 1) })) };
  });
  return {
    ...driftResultFixture,
    features,
    // Times as compare writes them (formatIsoMs), from ms no Date can hold.
    time: (
      [
        { name: 'past the Date limit', reference: [-DATE_LIMIT - 1, DATE_LIMIT + 1], current: [-DATE_LIMIT, DATE_LIMIT] },
        { name: 'date32 extremes', reference: [DATE32_MIN, DATE32_MAX], current: [DATE32_MAX, DATE32_MAX] },
        { name: 'int64 seconds as ms', reference: [-9.223372036854776e21, 9.223372036854776e21], current: [1e300, -1e300] },
        { name: 'not a time', reference: [Number.NaN, Number.POSITIVE_INFINITY], current: [Number.NEGATIVE_INFINITY, null] },
      ] as const
    ).map((t) => ({ name: t.name, reference: isoPair(t.reference), current: isoPair(t.current) })),
    rowCount: { reference: Number.POSITIVE_INFINITY, current: Number.NaN },
    score: Number.NaN,
    driftIndex: Number.POSITIVE_INFINITY,
  };
}

function isoPair(pair: readonly [number | null, number | null]): [string | null, string | null] {
  // compare keeps no NaN time (finiteRange): null, as it writes it.
  const iso = (ms: number | null): string | null => (ms === null || Number.isNaN(ms) ? null : formatIsoMs(ms));
  return [iso(pair[0]), iso(pair[1])];
}

function extremeReport(): ReportInput {
  return {
    ...reportInputFixture,
    generatedAt: '+275760-09-13T00:00:00.000Z',
    result: extremeResult(),
    history: [
      { at: '-271821-04-20T00:00:00.000Z', checkId: 'first', verdict: 'drift', score: Number.NaN, driftIndex: 2 },
      { at: '-271821-04-20T06:00:00.000Z', checkId: 'second', verdict: 'no-drift', score: 1, driftIndex: 0.5 },
      { at: 'not a time', checkId: 'bad', verdict: 'drift', score: 1, driftIndex: Number.POSITIVE_INFINITY },
    ],
    cadence: [{ at: '+275760-09-13T00:00:00.000Z', checkIntervalSeconds: 1e300, previousIntervalSeconds: Number.NaN, reason: 'extreme' }],
    forecast: { crossingAt: '+275760-09-13T00:00:00.000Z', slopePerDay: Number.POSITIVE_INFINITY, points: Number.NaN, method: 'theil-sen' },
    proposal: { proposalId: 'p', expiresAt: '+275760-09-13T00:00:00.000Z', retrainBy: 'never' },
  };
}

describe('Function: renderHtmlReport (out-of-range times, non-finite numbers)', () => {
  it('renders times past Date as expanded ISO days and unrepresentable ones as numbers, without throwing', () => {
    // Act
    const html = renderHtmlReport(extremeReport());

    // Assess
    expect(html).toContain('+5881580-07-11 00:00 UTC');
    expect(html).toContain('-5877641-06-23 00:00 UTC');
    expect(html).toContain('+275760-09-13 00:00 UTC');
    expect(html).toContain('out of range (ms 9.22e21)');
    expect(html).toContain('out of range (ms 1e300)');
    expect(html).toContain('out of range (ms ∞)');
    expect(html).not.toMatch(/Invalid|NaN|undefined/);
  });

  it('reads back its stored JSON and renders the same page again', () => {
    // Prepare
    const input = extremeReport();

    // Act
    const stored = renderReportJson(input);
    const read = parseReportJson(stored, 'report.json');

    // Assess
    expect(read).toEqual(input);
    expect(renderReportJson(read)).toBe(stored);
    expect(renderHtmlReport(read)).toBe(renderHtmlReport(input));
  });
});

describe('Function: renderNotice, renderDriftText and the decision pages (out-of-range times, non-finite numbers)', () => {
  it('renders the notice and its subject', () => {
    // Act
    const notice = renderNotice({ ...noticeInputFixture, result: extremeResult(), forecast: extremeReport().forecast, expiresAt: '+275760-09-13T00:00:00.000Z', retrainBy: 'never' });

    // Assess
    expect(notice.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(notice.text).toContain('This proposal expires Sat 13 Sep 275760 00:00 UTC');
    expect(notice.text).not.toMatch(/Invalid|NaN|undefined/);
  });

  it('renders the CLI text with expanded ISO times', () => {
    // Act
    const text = renderDriftText(extremeResult());

    // Assess
    expect(text).toContain('  date32 extremes: [-5877641-06-23T00:00:00.000Z .. +5881580-07-11T00:00:00.000Z]');
    expect(text).toContain('  past the Date limit: [-271821-04-19T23:59:59.999Z .. +275760-09-13T00:00:00.001Z]');
    expect(text).toContain('  not a time: [- .. out of range (ms ∞)] → [out of range (ms −∞) .. -]');
    expect(text).not.toMatch(/Invalid|NaN|undefined/);
  });

  it('renders the decision pages for times past Date', () => {
    // Act
    const page = renderDecisionPage({ ...decisionInputFixture, expiresAt: '+275760-09-13T00:00:00.000Z', vetoAt: 'never', snoozeSeconds: 1e300, action: 'snooze' });
    const result = renderDecisionResult({ modelId: 'm', proposalId: 'p', action: 'approve', outcome: 'done', decidedAt: '-271821-04-20T00:00:00.000Z' });

    // Assess
    expect(page).toContain('Sat 13 Sep 275760 00:00 UTC');
    expect(result).toContain('-271821');
  });
});

describe('Function: niceTicks, histogramChart and historyChart (extreme magnitudes)', () => {
  it('returns promptly where a step is lost in the magnitude or underflows', () => {
    // Assess
    expect(niceTicks(1e16, 1e16 + 6, 6)).toEqual([1e16, 1e16 + 6]);
    expect(niceTicks(0, 5e-324, 4).length).toBeLessThanOrEqual(20);
    expect(niceTicks(-1e308, 1e308, 6).length).toBeLessThanOrEqual(30);
  });

  it('draws charts of values near 2^53 and of the earliest times Date holds', () => {
    // Act
    const histogram = histogramChart({ id: 'h', title: 't', edges: [1e16, 1e16 + 2], reference: [1, 2, 3], current: [3, 2, 1] });
    const history = historyChart({ id: 'c', title: 't', history: extremeReport().history, forecast: null, cadence: [] });

    // Assess
    expect(histogram).toContain('<svg');
    expect(history).toContain('<svg');
    expect(history).not.toMatch(/Invalid|NaN/);
  });
});
