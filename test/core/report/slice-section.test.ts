import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileByteSource } from '../../../functions/adapters/file-byte-source.js';
import { signSources } from '../../../functions/adapters/sign-sources.js';
import { compare } from '../../../functions/core/drift/compare.js';
import { compareSlices, withSlices } from '../../../functions/core/drift/slices.js';
import type { DriftResult } from '../../../functions/core/drift/types.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { parseReportJson, renderReportJson } from '../../../functions/core/report/report-json.js';
import { scoreVersus, sliceReportField, sliceSection, sliceTables } from '../../../functions/core/report/slice-section.js';
import type { DatasetSignature } from '../../../functions/core/signature/types.js';
import { reportInputFixture } from './fixture.js';

// Fixtures made by test/fixtures/slices/make-slices.py (pyarrow): 10 countries, DE's amount moved by +2σ.
const dir = new URL('../../fixtures/slices/', import.meta.url).pathname;
const SLICES = { columns: ['country'], k: 10 };

async function sign(name: string, reference?: DatasetSignature): Promise<DatasetSignature> {
  return signSources([await fileByteSource(join(dir, name))], { slices: SLICES, ...(reference ? { reference } : {}) });
}

async function slicedResult(minRows = 100): Promise<DriftResult> {
  const reference = await sign('reference.parquet');
  const current = await sign('one-slice-drift.parquet', reference);
  return withSlices(compare(reference, current), compareSlices(reference, current, {}, { minRows, minActionShare: 0.05 }));
}

describe('Function: sliceTables', () => {
  it('lists each value with its row share and status, the drifted slice with what moved', async () => {
    // Prepare
    const result = await slicedResult();

    // Act
    const [table, ...more] = sliceTables(result);

    // Assess
    expect(more).toEqual([]);
    expect(table.column).toBe('country');
    expect(table.values).toHaveLength(10);
    expect(table.values.reduce((n, v) => n + v.share, 0)).toBeCloseTo(1, 10);
    const drifted = table.values.filter((v) => v.status === 'drifted');
    expect(drifted.map((v) => v.value)).toEqual(['DE']);
    expect(drifted[0].moved.map((f) => f.name)).toEqual(['amount']);
    expect(table.values.filter((v) => v.status === 'stable')).toHaveLength(9);
    expect(table.values.every((v) => v.status === 'drifted' || v.moved.length === 0)).toBe(true);
    expect(scoreVersus(drifted[0].moved[0])).toMatch(/^Wasserstein [\d.]+ σ ≥ [\d.]+ σ$/);
  });

  it('says insufficient-data for slices with too few rows, and nothing when the check has no slices', async () => {
    // Prepare
    const result = await slicedResult(5000);

    // Act
    const tables = sliceTables(result);

    // Assess
    expect(tables[0].values.every((v) => v.status === 'insufficient-data' && v.moved.length === 0)).toBe(true);
    expect(sliceTables({})).toEqual([]);
    expect(sliceSection({})).toBe('');
    expect(sliceReportField({})).toEqual({});
  });
});

describe('Function: sliceSection (HTML) and the report JSON field', () => {
  it('renders one escaped table per slice column inside the report, and stores the same rows in the JSON', async () => {
    // Prepare: a hostile column name and value, as data from a file can be.
    const real = await slicedResult();
    const hostile = (real.slices ?? []).map((s) => ({ ...s, column: '<img src=x onerror=alert(1)>', value: s.value === 'DE' ? '"><script>alert(1)</script>' : s.value }));
    const input = { ...reportInputFixture, result: { ...real, slices: hostile } };

    // Act
    const html = renderHtmlReport(input);
    const json = renderReportJson(input);

    // Assess
    expect(html).toContain('<section id="slices"');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<tr class="slice /g)).toHaveLength(10);
    expect(html).toMatch(/<tr class="slice drifted"><th scope="row"><bdi>&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/bdi><\/th><td class="num">10%<\/td><td>drifted<\/td><td><bdi>amount<\/bdi> \(Wasserstein/);
    const doc = JSON.parse(json) as { sliceTable: { column: string; values: { value: string; status: string }[] }[] };
    expect(doc.sliceTable).toEqual(JSON.parse(JSON.stringify(sliceTables(input.result))));
    expect(doc.sliceTable[0].values.find((v) => v.status === 'drifted')?.value).toBe('"><script>alert(1)</script>');
    // The stored report still reads back (the field is derived, so the reader leaves it out).
    expect(parseReportJson(json, 'r.json').result.slices).toHaveLength(10);
  });
});
