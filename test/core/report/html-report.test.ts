import { describe, expect, it } from 'vitest';
import type { CategoricalFeatureDrift, DriftResult } from '../../../functions/core/drift/types.js';
import { ConfigError } from '../../../functions/core/errors.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { parseReportJson, renderReportJson } from '../../../functions/core/report/report-json.js';
import { compare } from '../../../functions/core/drift/compare.js';
import { rankFeatures } from '../../../functions/core/drift/rank.js';
import { formatNumber } from '../../../functions/core/format.js';
import type { ReportInput } from '../../../functions/core/report/types.js';
import { datasetOf } from '../drift/build.js';
import { seeded } from '../drift/random.js';
import { dataQualityResultFixture, reportInputFixture, SCRIPT_CATEGORY } from './fixture.js';

const EXPECTED_RANKING = [
  'delay', 'carrier', 'fare', 'wind_speed', 'origin', 'temperature', 'passengers', 'humidity', 'distance', 'dep_hour', 'payment_type', 'promo_code',
];

function featureNamesInPage(html: string): string[] {
  return [...html.matchAll(/<span class="feature-name">([^<]*)<\/span>/g)].map((m) => m[1]);
}

function withHostileNames(input: ReportInput): ReportInput {
  const features = input.result.features.map((f) => (f.name === 'origin' ? { ...f, name: '<img src=x onerror="window.__driftgatePwned=1">' } : f));
  return { ...input, modelId: 'm"><script>1</script>', result: { ...input.result, features } };
}

describe('Function: rankFeatures', () => {
  it('ranks drifted features first, then by how far past the threshold, whatever the input order', () => {
    // Prepare
    const shuffled = [...reportInputFixture.result.features].reverse();

    // Act
    const ranked = rankFeatures(shuffled).map((f) => f.name);

    // Assess
    expect(ranked).toEqual(EXPECTED_RANKING);
  });
});

describe('Function: renderHtmlReport', () => {
  it('shows the features in ranked order even when the result lists them shuffled', () => {
    // Prepare
    const input = { ...reportInputFixture, result: { ...reportInputFixture.result, features: [...reportInputFixture.result.features].reverse() } };

    // Act
    const html = renderHtmlReport(input);

    // Assess
    expect(featureNamesInPage(html)).toEqual(EXPECTED_RANKING);
  });

  it('is one self-contained page under a strict CSP: no scripts, no external resources', () => {
    // Act
    const html = renderHtmlReport(reportInputFixture);

    // Assess
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|@import|url\((?!#)/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => m[1].startsWith('#'))).toBe(true);
  });

  it('escapes every string from data: category values, feature names and the model id render as text', () => {
    // Act
    const html = renderHtmlReport(withHostileNames(reportInputFixture));

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;window.__driftgatePwned = true&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__driftgatePwned=1&quot;&gt;');
    expect(html).toContain('m&quot;&gt;&lt;script&gt;1&lt;/script&gt;');
  });

  it('gives every chart an accessible title and every table column headers', () => {
    // Act
    const html = renderHtmlReport(reportInputFixture);

    // Assess
    const svgs = (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).filter((svg) => !svg.includes('class="mini"'));
    const minis = html.match(/<svg[^>]*class="mini"[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(13);
    expect(minis).toHaveLength(reportInputFixture.result.features.length);
    for (const mini of minis) expect(mini).toMatch(/role="img"[^>]*aria-label="[^"]+"/);
    for (const svg of svgs) expect(svg).toMatch(/^<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"[^>]*><title id="[^"]+">[^<]+<\/title>/);
    const tables = html.match(/<table[\s\S]*?<\/table>/g) ?? [];
    expect(tables.length).toBeGreaterThan(20);
    for (const table of tables) expect(table).toMatch(/<th /);
  });

  it('shows the action and why first, the verdict, the rule, quantile shifts, unseen categories and null shares', () => {
    // Act
    const html = renderHtmlReport(reportInputFixture);

    // Assess
    expect(html).toContain('Action: <span class="badge drift">DRIFT</span></h2>');
    expect(html).toContain(
      '<p class="big" id="action-reason">Drift: 4 of 11 judged features drifted (the rule needs 25%): &#39;delay&#39;, &#39;carrier&#39;, &#39;fare&#39; and 1 more; retrain advised by Thu 26 Nov 2026.</p>',
    );
    expect(html.indexOf('id="action-reason"')).toBeLessThan(html.indexOf(reportInputFixture.result.summary.slice(0, 20)));
    expect(html).toContain('Distribution verdict: <span class="badge drift">DRIFT</span>');
    expect(html).not.toContain('id="incidents"');
    expect(html).toContain(reportInputFixture.result.rule.description.replace(/'/g, '&#39;'));
    expect(html).toContain('<th scope="row">p50</th><td class="num">15.08</td><td class="num">29.99</td><td class="num">+14.9</td>');
    expect(html).toContain('ZZ <span class="new-tag">NEW</span>');
    expect(html).toContain('<th scope="row">Null share</th><td class="num">1% → 9%</td>');
    expect(html).toContain('threshold from the feature override');
    expect(html).toContain('already above its threshold (3.55)');
  });

  it('states a data-quality action first with its findings, says to fix the pipeline, and marks the features concerned', () => {
    // Act
    const html = renderHtmlReport({ ...reportInputFixture, result: dataQualityResultFixture });

    // Assess
    expect(html).toContain('Action: <span class="badge data-quality">DATA-QUALITY</span></h2>');
    expect(html).toContain(
      '<p class="big" id="action-reason">Data quality: column &#39;legacy_score&#39; is missing from the current batch (and 2 more findings); fix the pipeline before retraining.</p>',
    );
    expect(html).not.toContain('retrain advised');
    expect(html).toContain('<h3 id="incidents-h">Data-quality findings: fix the pipeline before retraining</h3>');
    expect([...html.matchAll(/<li data-incident="([a-z-]+)">/g)].map((m) => m[1])).toEqual(['missing-column', 'retyped-column', 'null-surge']);
    expect(html).toContain('fix the pipeline before approving a retrain on it');
    expect(html).toContain('<td>zip</td><td>type changed</td><td>int64 → utf8</td>');
    expect(html).toMatch(/<span class="feature-name">promo_code<\/span> — ⚠ data quality · too little data to judge<\/h3>/);
    expect(html).toContain('<title>Drift report: flight-delay-v3 (DATA-QUALITY)</title>');
  });

  it('renders a result with no history, no forecast and an all-null feature without failing', () => {
    // Prepare
    const carrier = reportInputFixture.result.features.find((f): f is CategoricalFeatureDrift => f.kind === 'categorical');
    const result: DriftResult = {
      ...reportInputFixture.result,
      features: [
        { ...reportInputFixture.result.features[0], kind: 'numeric', name: 'empty', bins: { edges: [0, 1], reference: [0], current: [0] } } as DriftResult['features'][number],
        ...(carrier === undefined ? [] : [{ ...carrier, categories: [] }]),
      ],
      time: [],
      schema: { missing: [], added: [], retyped: [] },
    };

    // Act
    const html = renderHtmlReport({ ...reportInputFixture, result, history: [], cadence: [], forecast: null, proposal: undefined });

    // Assess
    expect(html).toContain('No non-null values to plot.');
    expect(html).toContain('No categories to plot.');
    expect(html).toContain('No earlier checks of this model yet');
    expect(html).toContain('No schema changes.');
    expect(html).not.toContain('id="history-plot"');
    expect(html).not.toContain('NaN');
  });

  it('shows the severity compare stored: below 1 for a feature that moved far but not significantly', () => {
    // Prepare: 40 rows of N(0, 1) against N(0.35, 1); seed 9 gives Wasserstein 0.41 σ (4.1 times its
    // threshold) but KS p = 0.26, so the feature does not drift. The old report divided score by threshold
    // and showed 4.1 beside "above 1 means drift".
    const random = seeded(9);
    const reference = datasetOf({ x: { type: 'float', values: random.normals(40, 0, 1) } });
    const current = datasetOf({ x: { type: 'float', values: random.normals(40, 0.35, 1) } }, { reference });
    const result = compare(reference, current);
    const x = result.features[0];

    // Act
    const html = renderHtmlReport({ ...reportInputFixture, result, history: [], cadence: [], forecast: null });

    // Assess
    expect(x).toMatchObject({ name: 'x', drift: false, status: 'ok', test: 'wasserstein' });
    expect(x.kind === 'numeric' && x.metrics.ksPValue).toBeGreaterThan(0.05);
    // 4 times the 0.1 default; at 40 rows the threshold is the sampling-noise floor (drift/noise.ts) instead.
    expect(x.score).toBeGreaterThan(0.4);
    const row = html.match(/<tr class="" data-rank="1">(.*?)<\/tr>/)?.[1] ?? '';
    const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    const severityCell = cells[9]; // #, feature, result, distribution, kind, test, score, drift when, threshold from, severity
    expect(Number(severityCell)).toBeLessThan(1);
    expect(severityCell).toBe(formatNumber(x.severity, 3));
    expect(x.severity).toBeCloseTo(result.driftIndex, 12);
  });

  it('is deterministic: the same input gives the same bytes', () => {
    // Assess
    expect(renderHtmlReport(reportInputFixture)).toBe(renderHtmlReport(structuredClone(reportInputFixture)));
  });
});

describe('Function: renderReportJson', () => {
  it('round-trips through parseReportJson to an equal input that renders the same page', () => {
    // Act
    const json = renderReportJson(reportInputFixture);
    const parsed = parseReportJson(json, 'reports/chk.json');

    // Assess
    expect(parsed).toEqual(reportInputFixture);
    expect(renderHtmlReport(parsed)).toBe(renderHtmlReport(reportInputFixture));
    expect(JSON.parse(json).schemaVersion).toBe(3);
  });

  it('reads a version 2 report (before action classes): the action follows the stored verdict, with no incidents', () => {
    // Prepare: as stored before actions, with a missing column that the old rule counted as drift.
    const v3 = JSON.parse(renderReportJson({ ...reportInputFixture, result: dataQualityResultFixture })) as { result: Record<string, unknown> };
    const { action: _a, actionReason: _r, incidents: _i, ...oldResult } = v3.result;
    const v2 = { ...v3, schemaVersion: 2, result: { ...oldResult, drift: true, verdict: 'drift' } };
    const quiet = { ...v2, result: { ...v2.result, drift: false, verdict: 'no-drift' } };

    // Act
    const drifted = parseReportJson(JSON.stringify(v2), 'reports/v2.json');
    const calm = parseReportJson(JSON.stringify(quiet), 'reports/v2-quiet.json');

    // Assess
    expect(drifted.result).toMatchObject({ action: 'drift', drift: true, verdict: 'drift', incidents: [] });
    expect(drifted.result.actionReason).toBe('Drift: the stored verdict was drift (checked before action classes).');
    expect(calm.result).toMatchObject({ action: 'none', verdict: 'no-drift', incidents: [] });
    expect(renderHtmlReport(drifted)).toContain('Action: <span class="badge drift">DRIFT</span>');
  });

  it('refuses a stored result whose drift, verdict or incidents disagree with its action', () => {
    // Prepare
    const doc = JSON.parse(renderReportJson(reportInputFixture));
    doc.result.action = 'data-quality';

    // Act
    const act = (): unknown => parseReportJson(JSON.stringify(doc), 'reports/odd.json');

    // Assess
    expect(act).toThrow(/result\.drift[\s\S]*result\.verdict[\s\S]*result\.incidents/);
  });

  it('reads a version 1 report (no stored severity): the decision boundary stands in for it', () => {
    // Prepare: a wave-1 document, as stored before severity was part of each feature.
    const v2 = JSON.parse(renderReportJson(reportInputFixture)) as { schemaVersion: number; result: { features: Record<string, unknown>[] } };
    const v1 = { ...v2, schemaVersion: 1, result: { ...v2.result, features: v2.result.features.map(({ severity: _s, ...f }) => f) } };

    // Act
    const parsed = parseReportJson(JSON.stringify(v1), 'reports/old.json');

    // Assess
    expect(parsed.result.features.map((f) => f.severity)).toEqual(
      reportInputFixture.result.features.map((f) => (f.status === 'insufficient-data' ? -1 : f.drift ? 1 : 0)),
    );
  });

  it('is stable: key order of the input does not change the bytes', () => {
    // Prepare
    const { modelId, checkId, ...rest } = reportInputFixture;
    const reordered = { ...rest, checkId, modelId } as ReportInput;

    // Act
    const a = renderReportJson(reportInputFixture);
    const b = renderReportJson(reordered);

    // Assess
    expect(b).toBe(a);
    expect(a.indexOf('"checkId"')).toBeLessThan(a.indexOf('"modelId"'));
  });

  it('keeps non-finite numbers, which plain JSON would turn into null', () => {
    // Prepare
    const input: ReportInput = { ...reportInputFixture, result: { ...reportInputFixture.result, driftIndex: Number.POSITIVE_INFINITY } };

    // Act
    const parsed = parseReportJson(renderReportJson(input), 'r.json');

    // Assess
    expect(parsed.result.driftIndex).toBe(Number.POSITIVE_INFINITY);
  });

  it('names the file and the bad field when a stored report is invalid', () => {
    // Prepare
    const doc = JSON.parse(renderReportJson(reportInputFixture));
    doc.result.features[1].categories[0].unseen = 'yes';

    // Act
    const act = (): unknown => parseReportJson(JSON.stringify(doc), 'reports/chk.json');

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/reports\/chk\.json[\s\S]*result\.features\[1\]\.categories\[0\]\.unseen/);
    expect(() => parseReportJson('{not json', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });

  it('stores the hostile category value verbatim (escaping happens only when rendering)', () => {
    // Act
    const parsed = parseReportJson(renderReportJson(reportInputFixture), 'r.json');

    // Assess
    const carrier = parsed.result.features.find((f) => f.name === 'carrier');
    expect(carrier?.kind === 'categorical' && carrier.categories.some((c) => c.value === SCRIPT_CATEGORY)).toBe(true);
  });
});
