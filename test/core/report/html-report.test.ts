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
import { reportInputFixture, SCRIPT_CATEGORY } from './fixture.js';

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
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(13);
    for (const svg of svgs) expect(svg).toMatch(/^<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"[^>]*><title id="[^"]+">[^<]+<\/title>/);
    const tables = html.match(/<table[\s\S]*?<\/table>/g) ?? [];
    expect(tables.length).toBeGreaterThan(20);
    for (const table of tables) expect(table).toMatch(/<th /);
  });

  it('shows the verdict, the rule, quantile shifts, unseen categories, null shares and schema changes', () => {
    // Act
    const html = renderHtmlReport(reportInputFixture);

    // Assess
    expect(html).toContain('<span class="badge drift">DRIFT</span>');
    expect(html).toContain(reportInputFixture.result.rule.description.replace(/'/g, '&#39;'));
    expect(html).toContain('<th scope="row">p50</th><td class="num">15.08</td><td class="num">29.99</td><td class="num">+14.9</td>');
    expect(html).toContain('ZZ <span class="new-tag">NEW</span>');
    expect(html).toContain('<th scope="row">Null share</th><td class="num">1% → 9%</td>');
    expect(html).toContain('<td>zip</td><td>type changed</td><td>int64 → utf8</td>');
    expect(html).toContain('threshold from the feature override');
    expect(html).toContain('already above its threshold (3.55)');
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
    expect(html).toContain('No earlier checks yet.');
    expect(html).toContain('No schema changes.');
    expect(html).toContain('No forecast yet');
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
    expect(x.score / x.threshold).toBeGreaterThan(4);
    const row = html.match(/<tr class="" data-rank="1">(.*?)<\/tr>/)?.[1] ?? '';
    const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    const severityCell = cells[8];
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
    expect(JSON.parse(json).schemaVersion).toBe(2);
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
